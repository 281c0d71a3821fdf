"""Command-line commands that are not a process of their own: each module has
`add_arguments(parser)` and `run(args, settings) -> int` (see `lottery.cli`)."""
