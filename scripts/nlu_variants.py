#!/usr/bin/env python
"""Find mechanical variants in the NLU data: examples that are another
example of the same intent with a polite prefix (请问/老师，/你好，请问…), a
particle (吗/呢/啊/噻…), a place name or punctuation added, or that are
>= 80 % similar to one once those are taken away.

    scripts/nlu_variants.py            # report, per intent
    scripts/nlu_variants.py --remove   # delete the variants from data/nlu/*.yml
    scripts/nlu_variants.py --heldout tests/nlu/heldout.yml
                                       # held-out messages too close to training

Of each group the example written first in the file is kept (the variants
were appended after their originals). tests/nlu/test_nlu_data.py uses the
same normalise() and similarity() to keep data/nlu/ free of variants and
tests/nlu/heldout.yml apart from it.
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NLU_DIR = ROOT / "data" / "nlu"
THRESHOLD = 0.8

# Said before the question itself, in any order and combination.
PREFIXES = [
    "我想咨询一下", "我想咨询下", "想咨询一下", "咨询一下", "我想问一下", "我想问下", "我想问问",
    "俺想问问", "想问一下", "想问下", "麻烦问一下", "麻烦问下", "麻烦您", "麻烦", "打扰一下", "打扰了",
    "请问一下", "请问下", "请问", "问一下", "问下", "请教一下", "你好", "您好", "老师", "同志",
    "领导", "师傅", "小助手", "另外", "还有", "对了", "那个", "就是", "嗯嗯", "嗯", "啊", "哦", "呃", "哎",
    "嗨", "hi", "hello", "嘿", "那", "好的",
    # a place said first: 我在临清，/ 咱曲靖 / 宣威这边 / 在聊城
    "我们@", "咱们@", "俺们@", "我在@", "俺在@", "咱@", "在@", "@这边", "@这里",
]
# Said after it: particles, thanks, urgency.
SUFFIXES = [
    "谢谢你", "谢谢了", "谢谢", "谢了", "多谢", "急急急", "着急", "急", "在线等",
    "啊", "呀", "哦", "吗", "呢", "嘛", "噻", "吧", "哈", "啦", "嘞", "了", "哇", "喔",
]

_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def plain(example: str) -> str:
    """The text of a training example without its entity markup."""
    return _MARKUP.sub(r"\1", example).strip()


def place_words(nlu_dir: Path = NLU_DIR) -> list[str]:
    """City, county, township and province words of the lookup tables."""
    words = set()
    for f in nlu_dir.glob("*.yml"):
        for e in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if e.get("lookup") in {"city", "county", "township", "province"}:
                words.update(line.strip()[2:].strip() for line in e["examples"].splitlines() if line.strip())
    return sorted(words, key=len, reverse=True)


class Normaliser:
    """normalise(text): the text with markup, punctuation, spaces, polite
    prefixes, trailing particles and place names taken away, so that two
    mechanical variants of one sentence become the same string."""

    def __init__(self, places: list[str] | None = None):
        places = place_words() if places is None else places
        self._places = re.compile("|".join(map(re.escape, places))) if places else None

    def __call__(self, text: str) -> str:
        t = unicodedata.normalize("NFKC", plain(text)).lower()
        t = "".join(c for c in t if unicodedata.category(c)[0] in "LN")
        bare = t
        if self._places is not None:
            t = self._places.sub("@", t)
            if len(t) <= 2 and "@" in t:
                # a bare place answer (阳谷, 富源): the place is all it says
                return bare
        changed = True
        while changed:
            changed = False
            for p in PREFIXES:
                if t.startswith(p) and len(t) > len(p):
                    t, changed = t[len(p):], True
            for s in SUFFIXES:
                if t.endswith(s) and len(t) > len(s):
                    t, changed = t[: -len(s)], True
        # Very short answers (是/是的, 对/对的) differ by what was stripped.
        return t if len(t) >= 2 else bare


try:  # rapidfuzz's ratio is difflib's, computed in C
    from rapidfuzz.fuzz import ratio as _rf_ratio

    def similarity(a: str, b: str) -> float:
        return _rf_ratio(a, b) / 100.0
except ImportError:  # not a dependency: difflib gives the same ratio, slower
    def similarity(a: str, b: str) -> float:
        return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


_NEGATIONS = re.compile(r"[不没无未非别]")


def too_similar(a: str, b: str, threshold: float = THRESHOLD) -> bool:
    if a == b:
        return True
    # 满意 / 不满意 are opposites, not variants; and in a word or two each
    # character is the meaning (满意 / 很满意 are two levels of a rating).
    if _NEGATIONS.findall(a) != _NEGATIONS.findall(b) or min(len(a), len(b)) < 4:
        return False
    # Ratio is 2*matches/(len a + len b): bounded by the lengths alone.
    if 2 * min(len(a), len(b)) / (len(a) + len(b) or 1) < threshold:
        return False
    return a == b or similarity(a, b) >= threshold


@dataclass
class Example:
    intent: str
    text: str  # with markup, as in the file
    path: Path
    line: int  # 1-based


def load_examples(paths) -> list[Example]:
    """Intent examples of NLU YAML files, in file order, line by line (so
    that --remove can delete exactly those lines)."""
    out = []
    for path in paths:
        intent = None
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            m = re.match(r"- (intent|synonym|lookup|regex):\s*(\S+)", line)
            if m:
                intent = m.group(2) if m.group(1) == "intent" else None
                continue
            m = re.match(r"\s+- (.*)$", line)
            if m and intent:
                out.append(Example(intent, m.group(1).strip(), Path(path), n))
    return out


def training_files(nlu_dir: Path = NLU_DIR) -> list[Path]:
    return sorted(nlu_dir.glob("*.yml"))


def find_variants(examples: list[Example], norm: Normaliser,
                  threshold: float = THRESHOLD) -> list[tuple[Example, Example]]:
    """(variant, the earlier example it is a variant of), per intent."""
    kept: dict[str, list[tuple[str, Example]]] = defaultdict(list)
    variants = []
    for ex in examples:
        key = norm(ex.text)
        original = next((o for k, o in kept[ex.intent] if too_similar(key, k, threshold)), None)
        if original is None:
            kept[ex.intent].append((key, ex))
        else:
            variants.append((ex, original))
    return variants


def close_pairs(these: list[Example], those: list[Example], norm: Normaliser,
                threshold: float = THRESHOLD) -> list[tuple[Example, Example, float]]:
    """Pairs (a, b), a from these and b from those, >= threshold similar
    after normalisation, whatever their intents."""
    keyed = [(norm(b.text), b) for b in those]
    out = []
    for a in these:
        ka = norm(a.text)
        for kb, b in keyed:
            if too_similar(ka, kb, threshold):
                out.append((a, b, similarity(ka, kb)))
    return out


def remove_lines(variants: list[Example]) -> None:
    by_file = defaultdict(set)
    for v in variants:
        by_file[v.path].add(v.line)
    for path, lines in by_file.items():
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(l for n, l in enumerate(text, 1) if n not in lines), encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--remove", action="store_true", help="delete the variants from the files")
    ap.add_argument("--heldout", type=Path, help="held-out NLU file to compare with training")
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    ap.add_argument("-v", "--verbose", action="store_true", help="list every variant")
    args = ap.parse_args(argv)

    norm = Normaliser()
    examples = load_examples(training_files())
    if args.heldout:
        pairs = close_pairs(load_examples([args.heldout]), examples, norm, args.threshold)
        for a, b, r in pairs:
            print(f"{r:.2f}  held-out {a.intent}: {plain(a.text)}  ~  {b.path.name}:{b.line} {b.intent}: {plain(b.text)}")
        print(f"{len(pairs)} held-out message(s) >= {args.threshold:.0%} similar to training")
        return 1 if pairs else 0

    variants = find_variants(examples, norm, args.threshold)
    total, var = Counter(e.intent for e in examples), Counter(v.intent for v, _ in variants)
    if args.verbose:
        for v, o in variants:
            print(f"{v.path.name}:{v.line} {v.intent}: {plain(v.text)}  <-  {plain(o.text)}")
    print(f"{'intent':22s} {'examples':>8s} {'variants':>8s}")
    for intent in sorted(total):
        print(f"{intent:22s} {total[intent]:8d} {var[intent]:8d}  {var[intent] / total[intent]:5.1%}")
    print(f"{'all':22s} {sum(total.values()):8d} {len(variants):8d}  {len(variants) / len(examples):5.1%}")
    if args.remove and variants:
        remove_lines([v for v, _ in variants])
        print(f"removed {len(variants)} variants")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
