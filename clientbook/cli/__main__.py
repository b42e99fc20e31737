"""`python -m clientbook.cli`, as before the command line became a package."""

from clientbook.cli import main

main(prog_name="clientbook")
