"""``gapwatch report``: the weekly review of failure patterns, proposals and scorecards.

    gapwatch report --window 7d --format html --out review.html

While ``gapwatch serve`` runs on the store, the review comes from its API
(``GET /api/v1/report``), and its sample trace ids link to that server's trace view.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gapwatch.analyzer.cli._backend import CliError, add_connection_arguments, open_backend


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="write the review report (Markdown or HTML)")
    parser.add_argument("--window", default=os.environ.get("GAPWATCH_ANALYSIS_WINDOW", "7d"),
                        help="how far back to look, e.g. 24h, 7d (compared with the window "
                        "before it; env GAPWATCH_ANALYSIS_WINDOW)")
    parser.add_argument("--format", choices=["md", "html"], default="md",
                        help="Markdown (default) or one self-contained HTML page")
    parser.add_argument("--out", type=Path, default=None, help="file to write (default stdout)")
    add_connection_arguments(parser, json_output=False)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        backend = open_backend(args)
        try:
            text = backend.report(args.window, args.format)
        finally:
            backend.close()
    except CliError as error:
        print(f"gapwatch: {error}", file=sys.stderr)
        return 1
    if args.out is None:
        print(text, end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0
