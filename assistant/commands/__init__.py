"""One module per `assistant` subcommand; each defines `register(subparsers, common)` and may set ORDER."""
