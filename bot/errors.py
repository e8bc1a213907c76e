"""Errors every `juzhu` command may raise; bot.cli turns them into exit codes."""


class BadInput(Exception):
    """Input the command cannot use: printed as one line, exit 2."""


class Refused(Exception):
    """A business refusal: the Chinese reason on stderr, exit 1."""
