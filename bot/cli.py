"""`juzhu`: the project's console command.

Each area registers its own subcommands (``register(subparsers)``) and sets
``handler`` on its parser; the handler returns the exit code. Exit codes of
CONTRACT.md: 0 done, 1 refused for a business reason, 2 bad input.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Optional, Sequence

from bot.platform.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, BadInput, Refused

# One line per area; each module defines register(subparsers).
COMMAND_MODULES = (
    "bot.rules.cli",
    "bot.dialogue.eligibility.cli",
    "bot.appointments.cli",
    "bot.processes.serve",
    "bot.processes.servers",
    "bot.retention",
    "bot.channels.telegram.cli",
    "bot.channels.web.cli",
)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (and exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="juzhu", description="居住证 assistant: rules, interview, appointments, channels")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except BadInput as error:
        print(f"juzhu {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Refused as error:
        print(str(error), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `juzhu stations | head`: the reader has gone
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except Exception as error:  # never a traceback to the person at the terminal
        logging.getLogger("juzhu").debug("unexpected error", exc_info=True)
        print(f"juzhu {args.command}: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
