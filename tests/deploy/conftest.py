"""What the deploy tests check files against: the environment variables and commands the
gapwatch packages really read and provide, found in their source and metadata."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
_ENV_NAME = re.compile(r"^GAPWATCH_[A-Z0-9_]+$")


def env_literals(package_dir: Path) -> set[str]:
    """String constants in the package's source that are exactly a ``GAPWATCH_*`` name."""
    names: set[str] = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _ENV_NAME.match(node.value):
                    names.add(node.value)
    return names


def source_text(package_dir: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(package_dir.rglob("*.py")))


@pytest.fixture(scope="session")
def known_env() -> dict[str, set[str]]:
    """Per component, every ``GAPWATCH_*`` variable its process reads."""
    from gapwatch.analyzer.settings import Settings

    collector_src = ROOT / "collector/src/gapwatch/collector"
    analyzer_src = ROOT / "analyzer/src/gapwatch/analyzer"
    collector = env_literals(collector_src)
    analyzer = {f"GAPWATCH_{name.upper()}" for name in Settings.model_fields}
    analyzer |= env_literals(analyzer_src)
    if "add_collector_arguments" in source_text(analyzer_src):
        analyzer |= collector  # `gapwatch serve` takes the collector's flags too
    return {"collector": collector, "analyzer": analyzer}


@pytest.fixture(scope="session")
def console_scripts() -> dict[str, set[str]]:
    """Per component, the console scripts its pyproject declares."""
    scripts = {}
    for component in ("collector", "analyzer"):
        meta = tomllib.loads((ROOT / component / "pyproject.toml").read_text())
        scripts[component] = set(meta["project"].get("scripts", {}))
    return scripts


@pytest.fixture(scope="session")
def gapwatch_subcommands() -> set[str]:
    """The subcommands the ``gapwatch`` CLI registers."""
    from gapwatch.analyzer.cli import build_parser

    parser = build_parser()
    for action in parser._actions:
        if action.dest == "command":
            return set(action.choices or ())
    raise AssertionError("gapwatch has no subcommands")


@pytest.fixture(scope="session")
def served_paths() -> dict[str, str]:
    """Per component, the source text of its HTTP layer (to look routes up in)."""
    return {
        "collector": source_text(ROOT / "collector/src/gapwatch/collector"),
        "analyzer": source_text(ROOT / "analyzer/src/gapwatch/analyzer"),
    }
