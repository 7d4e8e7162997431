"""`python -m reinviter_cli` runs the `reinviter` command."""

from reinviter_cli.app import main

main()
