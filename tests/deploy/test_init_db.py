"""``gapwatch init-db``: the single-server path on chDB, the cluster DDL as text, parsed by the
engine, and run on a one-shard chDB cluster in a subprocess (see cluster_probe.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.cli import main
from gapwatch.analyzer.cluster import ClusterLayout, local_tables, render_cluster_ddl
from gapwatch.collector import ConfigurationError

PROBE = Path(__file__).with_name("cluster_probe.py")
LAYOUT = ClusterLayout("gw", "otel")


def tables(client: Client, database: str) -> dict[str, str]:
    rows = client.query(
        "SELECT name, engine FROM system.tables WHERE database = {db:String}",
        parameters={"db": database},
    ).result_rows
    return dict(rows)


def test_init_db_creates_every_table_once_when_run_twice(
    store_url: str, database: str, chdb_admin: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-db", "--clickhouse-url", store_url]) == 0
    first = capsys.readouterr().out
    assert main(["init-db", "--clickhouse-url", store_url]) == 0
    assert capsys.readouterr().out.strip() == "applied 0 migrations"
    created = tables(chdb_admin, database)
    assert created["otel_traces"] == "MergeTree"
    assert "gapwatch_proposals" in created and "otel_traces_trace_id_ts_mv" in created
    assert first.startswith("applied ") and "otel_traces_trace_id_ts_mv" in first


def test_printed_ddl_builds_the_same_tables_as_init_db(
    store_url: str, database: str, chdb_admin: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-db", "--clickhouse-url", store_url]) == 0
    expected = tables(chdb_admin, database)
    capsys.readouterr()
    other = f"{database}_printed"
    chdb_admin.command(f"CREATE DATABASE `{other}`")
    try:
        url = store_url.replace(f"database={database}", f"database={other}")
        assert main(["init-db", "--clickhouse-url", url, "--print"]) == 0
        for statement in capsys.readouterr().out.split(";\n\n"):
            if statement.strip():
                chdb_admin.command(statement)
        assert tables(chdb_admin, other) == expected
    finally:
        chdb_admin.command(f"DROP DATABASE IF EXISTS `{other}` SYNC")


def test_cluster_ddl_puts_replicated_tables_and_views_in_the_local_database() -> None:
    statements = render_cluster_ddl(LAYOUT, "25.8")
    ddl = [s for s in statements if not _without_comments(s).startswith("INSERT")]
    assert all("ON CLUSTER `gw`" in s for s in ddl)
    local = [
        s
        for s in statements
        if _without_comments(s).startswith("CREATE TABLE IF NOT EXISTS `otel_local`.")
    ]
    stored = [s for s in local if "ENGINE = Null" not in s]
    assert stored and all(re.search(r"ENGINE = Replicated\w*MergeTree\(", s) for s in stored)
    views = [s for s in statements if "MATERIALIZED VIEW" in s]
    assert views and all("`otel`." not in s for s in views)


def _without_comments(statement: str) -> str:
    return "\n".join(x for x in statement.splitlines() if not x.startswith("--")).strip()


def test_every_local_table_gets_a_distributed_front_of_the_same_name() -> None:
    statements = render_cluster_ddl(LAYOUT, "25.8")
    local = {t.name for t in local_tables(statements, "otel_local") if t.engine != "Null"}
    fronts = {
        m.group(1): m.group(2)
        for s in statements
        if (
            m := re.match(
                r"CREATE TABLE IF NOT EXISTS `otel`\.`(\w+)` ON CLUSTER `gw`\n"
                r"AS `otel_local`\.`\1`\nENGINE = Distributed\('gw', 'otel_local', "
                r"'\1', (.+)\)$",
                s,
            )
        )
    }
    assert {"otel_traces", "otel_traces_trace_id_ts", "gapwatch_proposals"} <= local
    assert set(fronts) == local | {"gapwatch_schema_migrations"}
    assert fronts["otel_traces"] == "cityHash64(TraceId)"
    assert fronts["otel_traces_trace_id_ts"] == "cityHash64(TraceId)"
    assert fronts["gapwatch_proposals"] == "cityHash64(id)"


def test_cluster_statements_parse_on_the_real_engine(chdb_admin: Client) -> None:
    for statement in render_cluster_ddl(LAYOUT, chdb_admin.server_version):
        assert chdb_admin.query(f"EXPLAIN AST {statement}").result_rows


def test_cluster_layout_refuses_the_same_database_twice() -> None:
    with pytest.raises(ConfigurationError):
        ClusterLayout("gw", "otel", "otel")
    with pytest.raises(ConfigurationError):
        ClusterLayout("gw; DROP", "otel")


def test_cluster_layout_serves_reads_and_writes_through_the_fronts(tmp_path: Path) -> None:
    config = tmp_path / "cluster.xml"
    config.write_text(
        "<clickhouse><tcp_port>9000</tcp_port><remote_servers><gw><shard><replica>"
        "<host>localhost</host><port>9000</port></replica></shard></gw></remote_servers>"
        "</clickhouse>"
    )
    done = subprocess.run(
        [sys.executable, str(PROBE), str(tmp_path / "chdb"), str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["service_applied"] == []  # a service start finds nothing left to migrate
    assert set(report["engines"].values()) == {"Distributed"}
    assert set(report["engines"]) == {
        name
        for name, engine in report["local_engines"].items()
        if engine not in ("MaterializedView", "Null")
    }
    assert report["front_spans"] == report["local_spans"] == 60
    assert report["front_errors"] == 20
    assert report["local_trace_ids"] == report["front_trace_ids"] == 20
    assert "collector/1" in report["migrations_via_front"]
    # the normalized model, fed by the views on each shard, reads the same through its front
    assert report["front_model"] == report["local_model"]
    assert ["tool", "error", 20] in report["front_model"]
