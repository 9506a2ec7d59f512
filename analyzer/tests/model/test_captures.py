"""The model over spans the real frameworks emitted: captures from the conformance scenarios.

Each capture in ``tests/frameworks/captures`` is the OTLP/JSON export of a few sessions of one
framework × instrumentor, recorded by its scenario (``--capture``). Replayed through the
collector's ingest and assembled, every row must name one of the scenario's agents and every
delegation its caller and callee — the facts the whole analysis stands on, checked here without
installing or running the frameworks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from google.protobuf.json_format import Parse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from analyzer.tests.spans import drop_database, open_analyzer_store
from gapwatch.analyzer.model import assemble_traces
from gapwatch.collector.decode import parse_json
from gapwatch.collector.ingest import IngestOptions, ingest_request
from gapwatch.collector.validation import TimePolicy
from gapwatch.collector.writer import ClickHouseSpanWriter

HEX_ID = re.compile(r"[0-9a-fA-F]{32}")
CAPTURES = Path(__file__).resolve().parents[3] / "tests" / "frameworks" / "captures"
AGENTS = {"orchestrator", "researcher", "coder"}
# delegation tools of the scenarios; once assembled they are delegations, never tool calls
DELEGATION_TOOLS = {"ask_researcher", "ask_coder", "delegate"}


# Emitters that give no agent identity and no parent links: @traceloop/instrumentation-langchain
# 0.27 on @langchain/core 1.x sends every span as its own trace, names graphs and tools by their
# class, and records no session (docs/data-model.md). Only what a span says about itself counts.
UNATTRIBUTABLE = {"langgraphjs_openllmetry"}
CLASS_NAMES = ["DynamicStructuredTool", "DynamicTool", "StructuredTool", "CompiledStateGraph",
               "RunnableSequence", "RunnableLambda"]


def _captures() -> list[Path]:
    return sorted(p for p in CAPTURES.glob("*.json") if p.stem not in UNATTRIBUTABLE)


@pytest.fixture(scope="module")
def store(chdb_dir: Path) -> Iterator[Client]:
    client = open_analyzer_store(chdb_dir, "test_model_captures")
    yield client
    drop_database(client)


def _load(store: Client, capture: Path) -> str:
    """Store one capture under its own service names (prefixed), assemble; returns the prefix."""
    request = _read(capture)
    prefix = capture.stem + ":"
    for resource_spans in request.resource_spans:
        for attribute in resource_spans.resource.attributes:
            if attribute.key == "service.name":
                attribute.value.string_value = prefix + attribute.value.string_value
    options = IngestOptions(time_policy=TimePolicy(retention_days=0))
    result = ingest_request(ClickHouseSpanWriter(store), request, options)
    assert not result.rejected, result.message
    assemble_traces(store, "test_model_captures")
    return prefix


def _read(capture: Path) -> ExportTraceServiceRequest:
    """OTLP/JSON as the receiver reads it (hex ids, as the specification writes them), or the
    protobuf JSON mapping (base64 ids) some scenarios write with ``MessageToJson``."""
    raw = capture.read_bytes()
    first = json.loads(raw)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
    if HEX_ID.fullmatch(first):
        return parse_json(raw)
    return Parse(raw, ExportTraceServiceRequest())


def _rows(store: Client, prefix: str, columns: str, where: str,
          **parameters: object) -> list[tuple[object, ...]]:
    return store.query(
        f"SELECT {columns} FROM gapwatch_agent_spans WHERE startsWith(service, {{p:String}})"
        f" AND {where}", parameters={"p": prefix, **parameters}).result_rows


@pytest.mark.parametrize("capture", _captures(), ids=lambda path: path.stem)
def test_every_row_of_a_real_framework_trace_names_its_agent(store: Client,
                                                             capture: Path) -> None:
    prefix = _load(store, capture)
    runs = {agent for (agent,) in _rows(store, prefix, "agent", "span_type = 'agent'")}
    assert runs == AGENTS, f"agent runs read as {runs}"
    owners = {agent for (agent,) in _rows(store, prefix, "DISTINCT agent",
                                          "span_type IN ('tool', 'llm')")}
    assert owners <= AGENTS, f"tool and model calls owned by {owners - AGENTS}"
    edges = set(_rows(store, prefix, "DISTINCT caller_agent, target_agent",
                      "span_type = 'delegation'"))
    assert edges and edges <= {("orchestrator", "researcher"), ("orchestrator", "coder")}, edges
    vehicles = _rows(store, prefix, "tool", "span_type = 'tool' AND has({t:Array(String)}, tool)",
                     t=sorted(DELEGATION_TOOLS))
    assert not vehicles, "a delegation's tool span was also counted as a tool call"
    # a sub-agent's run has the delegating run as its parent; the orchestrator's is the user's
    parents = dict(_rows(store, prefix, "agent, max(caller_agent)",
                         "span_type = 'agent' GROUP BY agent"))
    assert parents == {"orchestrator": "", "researcher": "orchestrator", "coder": "orchestrator"}


@pytest.mark.parametrize("name", sorted(UNATTRIBUTABLE))
def test_an_emitter_without_structure_yields_rows_only_for_what_a_span_names(
    store: Client, name: str
) -> None:
    prefix = _load(store, CAPTURES / f"{name}.json")
    named = _rows(store, prefix, "DISTINCT tool",
                  "span_type IN ('tool', 'delegation') AND has({c:Array(String)}, tool)",
                  c=CLASS_NAMES)
    assert not named, "a LangChain class was taken for a tool"
    agents = _rows(store, prefix, "DISTINCT agent", "has({c:Array(String)}, agent)", c=CLASS_NAMES)
    assert not agents, "a LangChain class was taken for an agent"
    # the calls that did succeed carry their tool's name in the ToolMessage they returned
    tools = {tool for (tool,) in _rows(store, prefix, "DISTINCT tool", "span_type = 'tool'")}
    assert tools and "" not in tools, tools
