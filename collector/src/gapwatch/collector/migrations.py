"""Numbered, append-only SQL migrations, recorded per component in ``gapwatch_schema_migrations``.

A migration is ``sql/migrations/NNNN_name.sql`` inside a package. Its text may hold
``${name}`` placeholders for identifiers and clauses that ClickHouse cannot bind in DDL
(database, cluster, engine, TTL); values are rendered only from validated identifiers and
numbers. Several statements in one file are separated by a line holding only ``;``.

    apply_migrations(client, "collector", "gapwatch.collector", context)
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from string import Template

from clickhouse_connect.driver.client import Client

from gapwatch.collector.errors import ConfigurationError

MIGRATIONS_TABLE = "gapwatch_schema_migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_STATEMENT_SEPARATOR = re.compile(r"^\s*;\s*$", re.MULTILINE)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str

    def statements(self, context: dict[str, str]) -> list[str]:
        try:
            rendered = Template(self.text).substitute(context)
        except KeyError as missing:
            raise ConfigurationError(f"migration {self.name} needs {missing}") from None
        parts = _STATEMENT_SEPARATOR.split(rendered)
        return [part.strip().rstrip(";") for part in parts if _has_sql(part)]


def load_migrations(package: str) -> list[Migration]:
    """All migrations of ``package`` in version order."""
    folder = resources.files(package).joinpath("sql").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ConfigurationError(f"duplicate migration versions in {package}")
    return found


def apply_migrations(
    client: Client,
    component: str,
    package: str,
    context: dict[str, str],
    *,
    skip: frozenset[str] = frozenset(),
) -> list[str]:
    """Apply the migrations of ``package`` not yet recorded for ``component``.

    ``context`` must hold ``database`` and ``on_cluster`` plus whatever the files use. Returns
    the names applied. Safe to call on every start: statements are idempotent and applied
    versions are skipped. Names in ``skip`` are recorded without running (e.g. a setting that
    does not apply to the chosen engine).
    """
    database = context["database"]
    client.command(
        f"CREATE TABLE IF NOT EXISTS `{database}`.{MIGRATIONS_TABLE} {context['on_cluster']} ("
        " component LowCardinality(String), version UInt32, name String,"
        " applied_at DateTime64(3) DEFAULT now64(3)"
        # no TTL on purpose: forgetting an applied migration would re-run it
        f") ENGINE = {context.get('migrations_engine', 'ReplacingMergeTree')}"
        " ORDER BY (component, version)"
    )
    done = {
        row[0]
        for row in client.query(
            f"SELECT version FROM `{database}`.{MIGRATIONS_TABLE} FINAL"
            " WHERE component = {component:String}",
            parameters={"component": component},
        ).result_rows
    }
    applied = []
    for migration in load_migrations(package):
        if migration.version in done:
            continue
        if migration.name not in skip:
            for statement in migration.statements(context):
                client.command(statement)
        client.insert(
            f"`{database}`.{MIGRATIONS_TABLE}",
            [[component, migration.version, migration.name]],
            column_names=["component", "version", "name"],
        )
        applied.append(migration.name)
        logger.info("applied migration %s/%04d_%s", component, migration.version, migration.name)
    return applied


def _has_sql(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())
