"""`python -m clientbook`: the `clientbook` command, for where the script is not on the PATH."""

from clientbook.cli import main

main(prog_name="clientbook")
