"""``python -m ganlab.calibration ACTION CORPUS.yaml --out DIR``: train, label and score the calibration corpus.

    python -m ganlab.calibration train ablations/calibration.yaml --out /work/corpus [--jobs 2]
    python -m ganlab.calibration table ablations/calibration.yaml --out /work/corpus [--md FILE]
    python -m ganlab.calibration fixtures ablations/calibration.yaml --out /work/corpus --runs baseline-s0,...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlab.calibration.corpus import load_corpus, train_corpus, write_fixtures, write_table
from ganlab.errors import GanlabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ganlab.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["train", "table", "fixtures"])
    parser.add_argument("corpus", type=Path, help="corpus file, e.g. ablations/calibration.yaml")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder (runs/, configs/, logs/, labels.json)")
    parser.add_argument("--jobs", type=int, default=2, help="runs trained at a time")
    parser.add_argument("--backend", default="local", help="sweep backend to train on: local or ray")
    parser.add_argument("--md", type=Path, default=None, help="also write the markdown table here")
    parser.add_argument("--to", type=Path, default=Path("tests/calibration/fixtures"), help="fixtures folder")
    parser.add_argument("--runs", default="", help="fixtures: comma-separated run names, e.g. baseline-s0")
    args = parser.parse_args(argv)
    try:
        runs = load_corpus(args.corpus)
        if args.action == "train":
            train_corpus(runs, args.out, args.jobs, args.backend)
        elif args.action == "table":
            write_table(runs, args.out, args.md)
        else:
            write_fixtures(runs, args.out, args.to, [n for n in args.runs.split(",") if n])
    except GanlabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
