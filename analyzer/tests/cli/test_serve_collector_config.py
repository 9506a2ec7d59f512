"""``gapwatch serve`` configures its collector exactly as ``gapwatch-collector`` would."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapwatch.analyzer.cli.serve import collector_config
from gapwatch.analyzer.settings import Settings


def test_collector_only_settings_from_the_environment_reach_serve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GAPWATCH_REDACT_KEYS", "x-tenant-secret")
    monkeypatch.setenv("GAPWATCH_REDACT_PATTERNS", r"ACME-\d+")
    monkeypatch.setenv("GAPWATCH_MAX_BODY_MIB", "2")
    monkeypatch.setenv("GAPWATCH_MAX_BACKLOG_MIB", "64")
    monkeypatch.setenv("GAPWATCH_CREATE_SCHEMA", "0")
    config = collector_config(Settings(data_dir=str(tmp_path)))
    assert config.redact_keys == ("x-tenant-secret",)
    assert config.redact_patterns == (r"ACME-\d+",)
    assert config.max_body_bytes == 2 * 2**20
    assert config.max_backlog_bytes == 64 * 2**20
    assert config.create_schema is False


def test_serve_settings_win_over_the_collector_defaults(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=str(tmp_path), host="127.0.0.2", otlp_http_port=14318, otlp_grpc_port=-1,
        ingest_tokens="a, b", ttl_days=7,
    )
    config = collector_config(settings)
    assert (config.host, config.http_port, config.grpc_port) == ("127.0.0.2", 14318, -1)
    assert config.ingest_tokens == ("a", "b")
    assert config.ttl_days == 7
    assert config.store_url == settings.clickhouse_url
    assert config.wal_dir == tmp_path / "wal"
