"""``gapwatch report``: the weekly review of failure patterns, proposals and scorecards.

    gapwatch report --window 7d --format html --out review.html
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="write the review report (Markdown or HTML)")
    parser.add_argument("--window", default=os.environ.get("GAPWATCH_ANALYSIS_WINDOW", "7d"),
                        help="how far back to look, e.g. 24h, 7d (compared with the window "
                        "before it)")
    parser.add_argument("--format", choices=["md", "html"], default="md")
    parser.add_argument("--out", type=Path, default=None, help="file to write (default stdout)")
    parser.add_argument("--data-dir", default=None, help="embedded store directory")
    parser.add_argument("--clickhouse-url", default=None, help="chdb:///dir or http(s)://…")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gapwatch.analyzer.report import collect_report, render_html, render_markdown
    from gapwatch.analyzer.settings import Settings
    from gapwatch.collector import connect

    overrides = {key: value for key, value in (("data_dir", args.data_dir),
                                               ("clickhouse_url", args.clickhouse_url)) if value}
    settings = Settings(**overrides)
    client = connect(settings.clickhouse_url)
    data = collect_report(client, args.window)
    text = render_html(data) if args.format == "html" else render_markdown(data)
    if args.out is None:
        print(text, end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0
