"""`make run`'s start-up output: the operator sees the banner and real problems, not library noise.

bot.processes.servers.quiet_start runs first in `juzhu rasa` and `juzhu actions`. It is
tried here in a child process (it changes the process's warning display).
The whole `make run` output was measured by hand: 25 lines up to the ready
banner (see the report of issue 13); starting Rasa here would cost a minute.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import warnings
    from bot.processes.servers import quiet_start
    warnings.simplefilter("always")  # as Rasa's dependencies leave it: every warning shown
    quiet_start()
    site = "/venv/lib/python3.10/site-packages/"
    warnings.warn_explicit("test: pkg_resources is deprecated", DeprecationWarning, site + "limits/util.py", 8)
    warnings.warn_explicit("test: Deprecated API features", DeprecationWarning,
                           site + "rasa/core/tracker_store.py", 1044)
    warnings.warn_explicit("slot mapping problem", UserWarning, site + "rasa/shared/core/domain.py", 10)
    warnings.warn_explicit("our own old call", DeprecationWarning, "/work/juzhu/bot/parsing/dates.py", 5)
    warnings.warn_explicit("a look-alike package", DeprecationWarning, site + "rasalike/x.py", 1)
    import jionlp  # already imported quietly: no banner now
    import logging
    logging.basicConfig(level=logging.INFO)  # as Rasa configures it
    logging.getLogger("rasa.nlu.tokenizers.jieba_tokenizer").info("Loading Jieba User Dictionary at data/jieba")
    logging.getLogger("rasa.core.agent").info("an ordinary start-up line")
    print("started")
""")


def test_start_up_drops_known_library_deprecations_and_keeps_everything_else():
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "started"  # no jionlp / jiojio banner
    assert "test: pkg_resources is deprecated" not in done.stderr
    assert "test: Deprecated API features" not in done.stderr
    # A real warning of Rasa, our own code's deprecations and unknown packages still show.
    assert "UserWarning: slot mapping problem" in done.stderr
    assert "DeprecationWarning: our own old call" in done.stderr
    assert "a look-alike package" in done.stderr
    # Rasa's JiebaTokenizer says it loads the dictionary, twice, before the banner (issue 20).
    assert "Loading Jieba User Dictionary" not in done.stderr
    assert "an ordinary start-up line" in done.stderr
