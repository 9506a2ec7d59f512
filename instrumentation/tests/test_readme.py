"""The package README documents the public API: every exported name, and the dependencies the
package really declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import gapwatch.instrumentation as instrumentation

ROOT = Path(__file__).parents[1]


def test_every_public_name_appears_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in instrumentation.__all__ if f"`{name}" not in readme]
    assert missing == []


def test_the_readme_names_every_declared_dependency() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[<>=\[ ]", spec)[0] for spec in project["dependencies"]]
    assert [name for name in names if f"`{name}`" not in readme] == []
    assert [extra for extra in project["optional-dependencies"] if extra != "test"
            and f"`[{extra}]`" not in readme] == []
