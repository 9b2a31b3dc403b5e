"""``python -m ganlab.validation export OUT``: write the validation datasets as unlabelled image folders.

    python -m ganlab.validation export /tmp/validation            # OUT/mnist, OUT/stacked-digits, OUT/shapes
    python -m ganlab.validation export /tmp/validation --only shapes --count 2000 --seed 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlab.errors import GanlabError
from ganlab.validation.datasets import BUILDERS, DEFAULT_COUNT
from ganlab.validation.export import export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ganlab.validation", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["export"])
    parser.add_argument("out", type=Path, help="folder to write OUT/<dataset>/00000.png ... into")
    parser.add_argument("--only", choices=list(BUILDERS), action="append", help="one dataset (repeatable)")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="images per dataset")
    parser.add_argument("--seed", type=int, default=0, help="draw seed of stacked-digits and shapes")
    args = parser.parse_args(argv)
    try:
        for name in args.only or list(BUILDERS):
            print(export(name, args.out / name, args.count, args.seed))
    except GanlabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
