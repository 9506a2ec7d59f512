"""The SQL behind every dashboard panel, variable and alert rule, one ``.sql`` file each.

    sql = load_query("panels/tools_scorecard")

The files are the single source of truth: the dashboard generator embeds their text as panel
targets, the alert rules as rule models, and the tests run the same text against chDB.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

PACKAGE = "gapwatch.analyzer.grafana"


@cache
def load_query(name: str) -> str:
    """The query ``sql/<name>.sql`` without its header comment, as Grafana will store it."""
    text = resources.files(PACKAGE).joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    lines = text.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def query_names(kind: str) -> list[str]:
    """Every query of one kind (``panels``, ``alerts``, ``variables``), as ``kind/name``."""
    folder = resources.files(PACKAGE).joinpath("sql", kind)
    return sorted(
        f"{kind}/{entry.name.removesuffix('.sql')}"
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )
