"""`python -m services.cli`: the same as the `hrcase` command."""

from services.cli import main

main()
