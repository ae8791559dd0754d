"""`python -m assistant` is the same front door as the `assistant` console script."""

from assistant.cli import main

raise SystemExit(main())
