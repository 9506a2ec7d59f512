"""``gapwatch demo``: the README's main job — see gapwatch find gaps in a simulated fleet.

    gapwatch demo [--sessions 500] [--data-dir .gapwatch] [--out-dir gapwatch-out]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run a simulated agent fleet through gapwatch")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("GAPWATCH_DATA_DIR", ".gapwatch")))
    parser.add_argument("--out-dir", type=Path, default=Path("gapwatch-out"))
    parser.add_argument("--sessions", type=int, default=500, help="size of the simulated fleet")
    parser.add_argument("--seed", type=int, default=7)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gapwatch.analyzer.demo.runner import DemoOptions, run_demo

    run_demo(DemoOptions(data_dir=args.data_dir, out_dir=args.out_dir,
                         sessions=args.sessions, seed=args.seed),
             say=lambda line: print(line, flush=True))
    return 0
