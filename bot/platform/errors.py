"""Errors every `juzhu` command may raise; bot.cli turns them into exit codes."""


class BadInput(Exception):
    """Input the command cannot use: printed as one line, exit 2."""


class Refused(Exception):
    """A business refusal: the Chinese reason on stderr, exit 1."""


# Exit codes of CONTRACT.md: 0 done, 1 refused for a business reason, 2 bad input.
EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2
