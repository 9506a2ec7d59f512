"""``gapwatch demo``: the README's main job — see gapwatch find gaps in a simulated fleet.

    gapwatch demo                 # fleet, analysis, report files, then the UI until Ctrl-C
    gapwatch demo --no-serve      # stop after writing the files

When the files are written the demo keeps serving its store (the review UI and the API, no
OTLP receiver) so the first thing a user sees is the proposals it found. It does so by default
only in a terminal: with output to a pipe or file (CI, tests, scripts) it exits, so nothing
waits forever on a Ctrl-C that never comes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a simulated agent fleet through gapwatch, then show it in the UI")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("GAPWATCH_DATA_DIR", ".gapwatch")),
                        help="embedded store; the demo owns database gapwatch_demo in it "
                        "(env GAPWATCH_DATA_DIR, default .gapwatch)")
    parser.add_argument("--out-dir", type=Path, default=Path("gapwatch-out"),
                        help="where report.html, report.md and grafana/ go (default gapwatch-out)")
    parser.add_argument("--sessions", type=int, default=500, help="size of the simulated fleet")
    parser.add_argument("--seed", type=int, default=7,
                        help="random seed: the same seed gives the same fleet and findings")
    parser.add_argument("--serve", action=argparse.BooleanOptionalAction, default=None,
                        help="keep serving the UI and API on the demo's data until Ctrl-C "
                        "(env GAPWATCH_DEMO_SERVE; default: yes in a terminal, no otherwise)")
    parser.add_argument("--api-port", type=int,
                        help="port of the UI and API served at the end (env GAPWATCH_API_PORT, "
                        "default 8080; 0 picks a free one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gapwatch.analyzer.cli._backend import server_holding
    from gapwatch.analyzer.demo.runner import DATABASE, DemoOptions, run_demo
    from gapwatch.collector.errors import ConfigurationError

    chdb_url = f"chdb://{(args.data_dir / 'chdb').resolve()}"
    holder = server_holding(chdb_url, args.data_dir)
    if holder is not None:
        print(f"gapwatch demo: gapwatch serve (pid {holder.get('pid')}, {holder.get('api_url')}) "
              f"holds {args.data_dir}; stop it first, or give the demo another --data-dir",
              file=sys.stderr)
        return 1
    try:
        settings = _serve_settings(args, DATABASE) if _serving(args) else None
        if settings is not None:
            from gapwatch.analyzer.cli.serve import check_ports_free

            # before the fleet runs: a busy port should cost one line, not the whole demo
            check_ports_free(settings, collector=False, api=True)
        run_demo(DemoOptions(data_dir=args.data_dir, out_dir=args.out_dir,
                             sessions=args.sessions, seed=args.seed),
                 say=lambda line: print(line, flush=True))
        if settings is None:
            return 0
        from gapwatch.analyzer.cli.serve import serve

        return serve(settings, collector=False, api=True, on_ready=_say_where)
    except ConfigurationError as error:
        print(f"gapwatch demo: {error}", file=sys.stderr)
        return 2


def _serving(args: argparse.Namespace) -> bool:
    if args.serve is not None:
        return bool(args.serve)
    configured = os.environ.get("GAPWATCH_DEMO_SERVE", "").strip().lower()
    if configured:
        return configured in ("1", "true", "yes", "on")
    return sys.stdout.isatty()


def _serve_settings(args: argparse.Namespace, database: str) -> Any:
    from gapwatch.analyzer.settings import Settings

    chdb_dir = (args.data_dir / "chdb").resolve()
    overrides: dict[str, Any] = {"api_port": args.api_port} if args.api_port is not None else {}
    # the demo's data does not change: analysis ran once, the scheduler would only repeat it
    return Settings(data_dir=str(args.data_dir),
                    clickhouse_url=f"chdb://{chdb_dir}?database={database}",
                    analysis_interval_minutes=0, **overrides)


def _say_where(url: str) -> None:
    print(f"\nThe review UI on the demo's data: {url}/\n"
          f"(API {url}/api/v1/proposals, weekly review {url}/api/v1/report; "
          "`gapwatch proposals list` works too.)\nPress Ctrl-C to stop.", flush=True)
