"""``gapwatch --help``: every flag explains itself, and building the parser stays cheap (the
analyzer, the collector and their libraries load only when a command runs)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from gapwatch.analyzer.cli import build_parser

# modules that take most of a second to import between them; none is needed to parse flags
HEAVY = ("fastapi", "uvicorn", "scipy", "clickhouse_connect", "chdb", "httpx", "grpc",
         "opentelemetry.sdk", "pydantic_settings", "gapwatch.collector",
         "gapwatch.analyzer.analysis", "gapwatch.analyzer.app")


def _options_without_help(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += _options_without_help(sub, f"{path} {name}")
        elif action.help is None and not isinstance(action, argparse._HelpAction):
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_option_and_argument_has_help_text() -> None:
    assert _options_without_help(build_parser(), "gapwatch") == []


def test_building_the_parser_imports_none_of_the_heavy_modules() -> None:
    probe = ("import json, sys\nfrom gapwatch.analyzer.cli import build_parser\nbuild_parser()\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True)
    assert json.loads(result.stdout) == []


def test_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "gapwatch.analyzer.cli", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    for command in ("serve", "analyze", "proposals", "report", "demo", "publish", "init-db"):
        assert command in result.stdout
