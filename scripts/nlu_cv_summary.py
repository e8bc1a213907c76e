#!/usr/bin/env python
"""Print the figures of `rasa test nlu` (cross-validation or a test set):
intent and entity macro-F1, accuracy, number of examples.

    scripts/nlu_cv_summary.py results/nlu-cv
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def macro(report: dict) -> tuple[float, float]:
    avg = report.get("macro avg") or {}
    weighted = report.get("weighted avg") or report.get("micro avg") or {}
    return avg.get("f1-score", float("nan")), weighted.get("f1-score", float("nan"))


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "results/nlu-cv")
    reports = sorted(out.glob("*_report.json"))
    if not reports:
        print(f"no *_report.json in {out}", file=sys.stderr)
        return 1
    # rasa.nlu.test undoes the FallbackClassifier (a message under its
    # threshold counts as its top intent): tests/nlu/test_nlu_model.py gives
    # the held-out figure with the fallback, as the server answers.
    print(f"NLU evaluation ({out}; below-threshold messages count as their top intent):")
    for path in reports:
        report = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(report, dict) or "macro avg" not in report:
            continue
        name = path.name.replace("_report.json", "")
        f1, other = macro(report)
        support = (report.get("macro avg") or {}).get("support")
        accuracy = report.get("accuracy")
        line = f"  {name:32s} macro-F1 {f1:.3f}   weighted-F1 {other:.3f}"
        if isinstance(accuracy, float):
            line += f"   accuracy {accuracy:.3f}"
        if support:
            line += f"   ({support} examples)"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
