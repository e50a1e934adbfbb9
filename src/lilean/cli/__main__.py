"""``python -m lilean.cli``."""

from lilean.cli import main

main()
