"""deploy/otelcol/config.yaml: the official collector writes gapwatch's otel_traces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "otelcol" / "config.yaml"


def load() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return loaded


def test_every_component_the_pipeline_uses_is_configured() -> None:
    config = load()
    service = config["service"]
    for extension in service["extensions"]:
        assert extension in config["extensions"]
    for pipeline in service["pipelines"].values():
        for section in ("receivers", "processors", "exporters"):
            for name in pipeline.get(section, []):
                assert name in config[section], f"{section}: {name}"


def test_traces_go_from_otlp_through_the_memory_limiter_to_clickhouse() -> None:
    pipeline = load()["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    assert pipeline["processors"][0] == "memory_limiter"
    assert pipeline["exporters"] == ["clickhouse"]
    protocols = load()["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")


def test_exporter_only_inserts_into_the_gapwatch_table() -> None:
    exporter = load()["exporters"]["clickhouse"]
    assert exporter["create_schema"] is False  # gapwatch init-db owns the DDL and the TTL
    assert exporter["traces_table_name"] == "otel_traces"
    assert "ttl" not in exporter
    assert exporter["database"] == "${env:CLICKHOUSE_DATABASE}"


def test_exporter_batches_large_and_queues_on_disk() -> None:
    config = load()
    queue = config["exporters"]["clickhouse"]["sending_queue"]
    assert queue["enabled"] is True
    assert queue["batch"]["min_size"] >= 5000
    assert queue["storage"] in config["extensions"]
    assert queue["storage"] in config["service"]["extensions"]
    assert config["exporters"]["clickhouse"]["retry_on_failure"]["enabled"] is True
