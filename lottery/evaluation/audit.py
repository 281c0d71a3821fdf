"""The randomness audit's shared terms: each family runs its own tests (`Game.audit`)."""
from __future__ import annotations

LEVEL = 0.01  # a test "rejects" below this p-value
DEFAULT_WINDOW = 10_000
MIN_WINDOW = 20  # the smallest window an audit is asked for
NOTE = ("A fair draw passes these tests about 99% of the time each; an occasional rejection "
        f"at the {LEVEL} level is expected by chance, a persistent one is not.")
