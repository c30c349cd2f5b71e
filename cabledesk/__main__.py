"""`python -m cabledesk` runs the CLI (the same as the `cabledesk` console script)."""

from cabledesk.cli import main

main()
