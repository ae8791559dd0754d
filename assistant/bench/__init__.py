"""Benchmarks: one module per `assistant bench KIND`, each defining `register(subparsers, common)`.

They print a readable table by default and one JSON object with `--json` (see `assistant.report.emit`).
"""
