"""Redis storage: connection, embedded server, draws and predictions."""
