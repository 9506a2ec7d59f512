"""gapwatch on a sharded, replicated ClickHouse cluster: local tables plus Distributed fronts.

Every table gapwatch knows (``otel_traces``, the normalized model, proposals, …) is created
``ON CLUSTER`` with a Replicated engine in a *local* database (``<database>_local`` by default),
by the same numbered migrations as on one node. The service database then gets one
``Distributed`` table per local table, with the same name and columns, so the collector's
inserts, the analyzer's queries and Grafana's panels run unchanged against ``<database>``.

    layout = ClusterLayout(cluster="gapwatch", database="otel")
    for statement in render_cluster_ddl(layout, server_version="25.8"):
        print(statement)
    apply_cluster_schema(client, layout)          # the same, on a live cluster

Materialized views stay in the local database: they fire where the rows land, on each shard.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, cast

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import ConfigurationError, SchemaOptions, migrations, validate_identifier
from gapwatch.collector.migrations import MIGRATIONS_TABLE

LOCAL_SUFFIX = "_local"
DEFAULT_SERVER_VERSION = "25.8"  # what ``--print`` assumes when no server is asked

# Rows of one trace stay on one shard: trace-scoped queries (parent/child, the trace-id lookup)
# stay shard-local, and a retried batch is split across shards exactly as the first time, so
# each shard's insert deduplication sees the same block again. ``rand()`` would break both.
TRACE_SHARDING = {
    "otel_traces": "cityHash64(TraceId)",
    "otel_traces_trace_id_ts": "cityHash64(TraceId)",
    "gapwatch_agent_spans": "cityHash64(trace_id)",
    "gapwatch_agent_runs": "cityHash64(trace_id)",
    "gapwatch_span_facts": "cityHash64(trace_id)",
    "gapwatch_trace_arrivals": "cityHash64(trace_id)",
}
# Engines that merge rows by sorting key: all versions of a key must live on one shard, so
# FINAL and the merge itself see them together.
_KEY_MERGING_ENGINES = (
    "ReplacingMergeTree",
    "AggregatingMergeTree",
    "SummingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "CoalescingMergeTree",
)
_CREATE_TABLE = re.compile(
    r"^CREATE TABLE IF NOT EXISTS `(?P<database>\w+)`\.`(?P<table>\w+)`", re.IGNORECASE
)
_DROP_TABLE = re.compile(
    r"^DROP TABLE IF EXISTS `(?P<database>\w+)`\.`(?P<table>\w+)`", re.IGNORECASE
)
_ENGINE = re.compile(r"\bENGINE\s*=\s*(?:Replicated)?(?P<engine>\w+)", re.IGNORECASE)
_ORDER_BY = re.compile(r"^ORDER BY (?P<key>.+?)\s*$", re.MULTILINE)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterLayout:
    """Where the tables go on a cluster.

    ``database`` is what services and Grafana use (Distributed fronts); ``local_database``
    holds the Replicated tables and the materialized views (default ``<database>_local``).
    """

    cluster: str
    database: str = "default"
    local_database: str = ""
    ttl_days: int = 30

    def __post_init__(self) -> None:
        validate_identifier(self.cluster)
        validate_identifier(self.database)
        if not self.local_database:
            object.__setattr__(self, "local_database", self.database + LOCAL_SUFFIX)
        validate_identifier(self.local_database)
        if self.local_database == self.database:
            raise ConfigurationError("the local database must differ from the service database")

    @property
    def local_options(self) -> SchemaOptions:
        return SchemaOptions(self.local_database, self.ttl_days, self.cluster)


@dataclass(frozen=True)
class LocalTable:
    """A table created by the migrations, as much as a Distributed front needs to know."""

    name: str
    engine: str  # without the ``Replicated`` prefix, e.g. ``ReplacingMergeTree``
    order_by: str

    @property
    def sharding_key(self) -> str:
        if self.name in TRACE_SHARDING:
            return TRACE_SHARDING[self.name]
        if self.engine in _KEY_MERGING_ENGINES and self.order_by:
            return f"cityHash64({_strip_parentheses(self.order_by)})"
        return "rand()"


def render_cluster_ddl(layout: ClusterLayout, server_version: str) -> list[str]:
    """Every statement ``apply_cluster_schema`` runs on a fresh cluster, in order."""
    schema = _render_migrations(layout, server_version)
    return (
        _preamble(layout)
        + schema
        + [render_distributed_table(layout, table) for table in _tables_in(schema, layout)]
    )


def apply_cluster_schema(client: Client, layout: ClusterLayout) -> list[str]:
    """Create or upgrade the cluster layout; returns the migrations applied now.

    Idempotent: applied migrations are recorded in a table replicated to every node, so a re-run
    through any node skips them; fronts are ``CREATE … IF NOT EXISTS``.
    """
    for statement in _preamble(layout):
        client.command(statement)
    applied = create_analyzer_schema(client, layout.local_options)
    schema = _render_migrations(layout, client.server_version or "")
    for table in _tables_in(schema, layout):
        client.command(render_distributed_table(layout, table))
    logger.info(
        "cluster %s: %d migrations applied in %s, fronts in %s",
        layout.cluster,
        len(applied),
        layout.local_database,
        layout.database,
    )
    return applied


def render_distributed_table(layout: ClusterLayout, table: LocalTable) -> str:
    """The front table in the service database for one local table."""
    return (
        f"CREATE TABLE IF NOT EXISTS `{layout.database}`.`{table.name}`"
        f" ON CLUSTER `{layout.cluster}`\n"
        f"AS `{layout.local_database}`.`{table.name}`\n"
        f"ENGINE = Distributed('{layout.cluster}', '{layout.local_database}', '{table.name}',"
        f" {table.sharding_key})"
    )


def local_tables(statements: list[str], database: str) -> list[LocalTable]:
    """The tables (not views) that ``statements`` create in ``database`` and do not drop again,
    in order."""
    found: dict[str, LocalTable] = {}
    for statement in statements:
        dropped = _DROP_TABLE.match(_without_comments(statement))
        if dropped and dropped.group("database") == database:
            found.pop(dropped.group("table"), None)
            continue
        match = _CREATE_TABLE.match(_without_comments(statement))
        if not match or match.group("database") != database:
            continue
        engine = _ENGINE.search(statement)
        order_by = _ORDER_BY.search(statement)
        found.setdefault(
            match.group("table"),
            LocalTable(
                match.group("table"),
                engine.group("engine") if engine else "",
                order_by.group("key") if order_by else "",
            ),
        )
    return list(found.values())


def _preamble(layout: ClusterLayout) -> list[str]:
    on_cluster = f"ON CLUSTER `{layout.cluster}`"
    return [
        f"CREATE DATABASE IF NOT EXISTS `{layout.local_database}` {on_cluster}",
        f"CREATE DATABASE IF NOT EXISTS `{layout.database}` {on_cluster}",
        # Same columns as the runner's own table, but one replica set across the whole cluster
        # (no {shard} in the path): every node then knows which migrations ran, whichever node
        # the next ``init-db`` connects to.
        f"CREATE TABLE IF NOT EXISTS `{layout.local_database}`.`{MIGRATIONS_TABLE}` {on_cluster} ("
        " component LowCardinality(String), version UInt32, name String,"
        " applied_at DateTime64(3) DEFAULT now64(3))"
        " ENGINE = ReplicatedReplacingMergeTree("
        f"'/clickhouse/gapwatch/{layout.cluster}/{layout.local_database}/{MIGRATIONS_TABLE}',"
        " '{shard}-{replica}')"
        " ORDER BY (component, version)",
    ]


def _tables_in(schema: list[str], layout: ClusterLayout) -> list[LocalTable]:
    # a Null table only passes blocks to its views where it is inserted into: nothing to read
    tables = [t for t in local_tables(schema, layout.local_database) if t.engine != "Null"]
    # the runner creates its own table with an unquoted name; its front lets services that
    # check migrations through the service database see what init-db applied
    tables.append(LocalTable(MIGRATIONS_TABLE, "ReplacingMergeTree", "(component, version)"))
    return tables


def render_schema(options: SchemaOptions, server_version: str) -> list[str]:
    """The statements ``create_analyzer_schema`` runs on an empty server, without a server."""
    recorder = _DdlRecorder(server_version)
    runner_logger = logging.getLogger(migrations.__name__)
    level = runner_logger.level
    runner_logger.setLevel(logging.WARNING)  # nothing is applied here; don't log that it was
    try:
        create_analyzer_schema(cast(Client, recorder), options)
    finally:
        runner_logger.setLevel(level)
    return recorder.statements


def _render_migrations(layout: ClusterLayout, server_version: str) -> list[str]:
    statements = render_schema(layout.local_options, server_version)
    return [sql for sql in statements if MIGRATIONS_TABLE not in sql.split("(")[0]]


def _without_comments(statement: str) -> str:
    lines = (line for line in statement.splitlines() if not line.lstrip().startswith("--"))
    return "\n".join(lines).strip()


def _strip_parentheses(key: str) -> str:
    key = key.strip()
    return key[1:-1] if key.startswith("(") and key.endswith(")") else key


class _EmptyResult:
    result_rows: list[tuple[Any, ...]] = []


class _DdlRecorder:
    """Stands in for a client on an empty server: keeps the DDL instead of running it.

    Running the real schema code against it yields exactly the statements a fresh cluster
    gets, without duplicating how migrations are rendered.
    """

    def __init__(self, server_version: str):
        self.server_version = server_version
        self.statements: list[str] = []

    def command(self, sql: str, *args: Any, **kwargs: Any) -> None:
        self.statements.append(sql)

    def query(self, sql: str, *args: Any, **kwargs: Any) -> _EmptyResult:
        return _EmptyResult()

    def insert(self, *args: Any, **kwargs: Any) -> None:
        return None
