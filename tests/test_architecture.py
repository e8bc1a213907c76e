"""The shape of the house (issue 18), checked where a reviewer would look.

The import layers and the absence of import circles are import-linter's
(.importlinter, `make lint-imports`, part of `make test`); these are the
rest of the rules a change could quietly break.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def test_no_file_of_the_product_is_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in sources("bot", "actions")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_actions_only_adapt_rasa_to_the_core():
    """actions/ is the adapter (at most 600 lines in all); the dialogue is bot/dialogue's, without Rasa."""
    assert sum(len(p.read_text(encoding="utf-8").splitlines()) for p in sources("actions")) <= MAX_LINES
    for path in sources("bot/dialogue"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.split(".")[0] in ("rasa", "rasa_sdk") for n in names), path.relative_to(ROOT)


def test_one_module_starts_processes():
    starting = [str(p.relative_to(ROOT)) for p in sources("bot", "scripts")
                if "subprocess.Popen(" in p.read_text(encoding="utf-8")]
    assert starting == ["bot/processes/starter.py"]


def test_one_module_of_the_channels_posts_to_rasa():
    posting = [str(p.relative_to(ROOT)) for p in sources("bot/channels")
               if re.search(r'["\']/webhooks/rest/webhook["\']', p.read_text(encoding="utf-8"))]
    assert posting == ["bot/channels/rasa_client.py"]


def test_the_store_knows_no_feature():
    """bot/platform (the store and its migrations included) imports nothing above it."""
    for path in sources("bot/platform"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot."):
                assert node.module.startswith("bot.platform"), f"{path.relative_to(ROOT)} imports {node.module}"
