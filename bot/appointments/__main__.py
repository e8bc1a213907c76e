"""``python -m bot.appointments``: create or upgrade the database and seed
the sample stations when it has none (for `make run` / `make test`)."""
from __future__ import annotations

import sys

from .db import display_url, ensure_schema


def main() -> int:
    url = ensure_schema()
    print(f"appointments database ready: {display_url(url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
