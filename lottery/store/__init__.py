"""Redis storage: connection, embedded server, draws and predictions."""


def as_str(value):
    """Return a Redis reply value as text (replies are bytes unless decoding is on)."""
    return value.decode() if isinstance(value, bytes) else value
