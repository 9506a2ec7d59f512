"""``gapwatch analyze``: run every detector now and update the proposals.

    gapwatch analyze --window 24h
    gapwatch analyze --dry-run --json
"""

from __future__ import annotations

import argparse
import sys

from gapwatch.analyzer.cli._backend import CliError, add_connection_arguments, open_backend
from gapwatch.analyzer.cli._output import print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("analyze", help="run the gap detectors now")
    parser.add_argument("--window", help="how far back to look, e.g. 24h, 7d (default: 7d)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change")
    add_connection_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        backend = open_backend(args)
        try:
            window = args.window or "7d"
            result = backend.analyze(window, args.dry_run)
        finally:
            backend.close()
    except CliError as error:
        print(f"gapwatch: {error}", file=sys.stderr)
        return 1
    if args.json:
        print_json(result)
        return 0
    counts = result["proposals"]
    prefix = "dry run: " if result["dry_run"] else ""
    print(f"{prefix}{result['findings']} findings over {result['window']} → "
          f"{counts['new']} new, {counts['updated']} updated, {counts.get('reopened', 0)} "
          f"reopened proposals")
    note = (result.get("data") or {}).get("note")
    if note:
        print(f"note: {note}")
    verification = result.get("verification") or {}
    if verification.get("verified") or verification.get("regressed"):
        print(f"verification: {verification['verified']} verified, "
              f"{verification['regressed']} regressed")
    return 0
