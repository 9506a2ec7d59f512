"""The ``gapwatch`` command line.

Each module in this package that defines ``register(subparsers)`` adds one subcommand, so
commands live beside the code they drive and are found without a central list.

    gapwatch serve --data-dir ./data
    gapwatch proposals list --status open
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gapwatch", description="Find what your AI agents cannot do yet, from their traces."
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("GAPWATCH_LOG_LEVEL", "INFO"),
        help="logging level (env GAPWATCH_LOG_LEVEL)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
