"""One set of spans every interop client sends, and the rows ``otel_traces`` must then hold.

The scenario is plain JSON-ready data so the Node.js script can read the very same spec. Every
attribute is listed with the string the upstream ClickHouse exporter stores for it (pdata
``Value.AsString``), written out by hand rather than computed, so the expectations do not share
code with the collector's own stringification.

A client may lack a capability (Node numbers cannot carry int64 beyond 2**53; the Python SDK
cannot send key-value lists); :func:`build_scenario` leaves those attributes out for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

KINDS = ("internal", "server", "client", "producer", "consumer")
KIND_COLUMN = {
    "internal": "Internal",
    "server": "Server",
    "client": "Client",
    "producer": "Producer",
    "consumer": "Consumer",
}
STATUS_COLUMN = {"unset": "Unset", "ok": "Ok", "error": "Error"}


@dataclass(frozen=True)
class Capabilities:
    # integers beyond 2**53, and doubles with integral values (JavaScript sends every integral
    # number as intValue, so 1.25e300 would leave Node as an out-of-range int64)
    int64: bool = True
    kvlist: bool = False  # key-value list (map) attribute values
    bytes_values: bool = False  # byte-string attribute values
    null_in_arrays: bool = True
    link_trace_state: bool = True  # the Python protobuf encoder drops a link's trace state


def _attr(value: Any, stored: str) -> dict[str, Any]:
    return {"value": value, "stored": stored}


def span_attributes(caps: Capabilities) -> dict[str, dict[str, Any]]:
    """Attribute name → value to send and string expected in ClickHouse."""
    attributes = {
        "gen_ai.operation.name": _attr("invoke_agent", "invoke_agent"),
        "gen_ai.agent.name": _attr("planner", "planner"),
        "interop.str.unicode": _attr("naïve café — 日本語 ✓ 🚀", "naïve café — 日本語 ✓ 🚀"),
        "interop.str.empty": _attr("", ""),
        "interop.str.symbols": _attr('say "hi" \\ tab\there', 'say "hi" \\ tab\there'),
        "interop.bool.true": _attr(True, "true"),
        "interop.bool.false": _attr(False, "false"),
        "interop.int.answer": _attr(42, "42"),
        "interop.int.negative": _attr(-7, "-7"),
        "interop.int.zero": _attr(0, "0"),
        "interop.int.safe_max": _attr(9007199254740991, "9007199254740991"),
        "interop.double.tenth": _attr(0.1, "0.1"),
        "interop.double.negative": _attr(-2.75, "-2.75"),
        "interop.double.small": _attr(1.5e-7, "1.5e-7"),
        "interop.array.str": _attr(
            ["search", "fetch", 'quote "x"', "ü"], '["search","fetch","quote \\"x\\"","ü"]'
        ),
        "interop.array.int": _attr([1, -2, 300], "[1,-2,300]"),
        "interop.array.bool": _attr([True, False, True], "[true,false,true]"),
        "interop.array.double": _attr([0.5, 2.25, -0.125], "[0.5,2.25,-0.125]"),
        "interop.array.empty": _attr([], "[]"),
    }
    if caps.int64:
        attributes["interop.int.max"] = _attr(2**63 - 1, "9223372036854775807")
        attributes["interop.int.min"] = _attr(-(2**63), "-9223372036854775808")
        attributes["interop.double.huge"] = _attr(1.25e300, "1.25e+300")
        attributes["interop.double.integral"] = _attr(3.0, "3")
    if caps.null_in_arrays:
        attributes["interop.array.with_null"] = _attr(["a", None, "b"], '["a",null,"b"]')
    if caps.kvlist:
        attributes["interop.kvlist"] = _attr(
            {
                "answer": 42,
                "flag": True,
                "model": "m-1",
                "nested": {"depth": 2},
                "ratio": 0.5,
                "tags": ["x", "y"],
            },
            '{"answer":42,"flag":true,"model":"m-1","nested":{"depth":2},"ratio":0.5,'
            '"tags":["x","y"]}',
        )
        attributes["interop.kvlist.empty"] = _attr({}, "{}")
    if caps.bytes_values:
        attributes["interop.bytes"] = _attr(b"\x00\x01gap\xff", "AAFnYXD/")
    return attributes


def resource_attributes(service: str) -> dict[str, dict[str, Any]]:
    return {
        "service.name": _attr(service, service),
        "service.version": _attr("2.4.1", "2.4.1"),
        "deployment.environment.name": _attr("interop", "interop"),
        "host.cpu.count": _attr(2, "2"),
        "gapwatch.canary": _attr(True, "true"),
        "gapwatch.sample.ratio": _attr(0.25, "0.25"),
        "gapwatch.regions": _attr(["eu-1", "us-2"], '["eu-1","us-2"]'),
    }


def _hex(prefix: int, index: int, width: int) -> str:
    return f"{prefix:04x}{index:0{width - 4}x}"


def build_scenario(client: str, caps: Capabilities, salt: int) -> dict[str, Any]:
    """The spans ``client`` sends. ``salt`` (0..0xffff) keeps ids distinct between clients."""
    now_s = time.time_ns() // 1_000_000_000
    # ten minutes ago, with every nanosecond digit significant
    base = (now_s - 600) * 1_000_000_000 + 123_456_789
    trace = _hex(salt, 1, 32)
    other_trace = _hex(salt, 2, 32)
    remote_trace = _hex(salt, 3, 32)
    ids = [_hex(salt, n, 16) for n in range(1, 10)]
    root, plan, tool, publish, consume, remote_child, remote_parent = ids[:7]
    attrs = span_attributes(caps)
    spans_agent = [
        {
            "trace_id": trace,
            "span_id": root,
            "parent": None,
            "name": "invoke_agent planner",
            "kind": "server",
            "start_ns": base,
            "end_ns": base + 987_654_321,
            "attributes": attrs,
            "events": [
                {
                    "name": "gen_ai.choice",
                    "time_ns": base + 1_000_001,
                    "attributes": {
                        "gen_ai.response.finish_reason": _attr("stop", "stop"),
                        "retry.attempt": _attr(2, "2"),
                        "score": _attr(0.75, "0.75"),
                        "ok": _attr(True, "true"),
                    },
                },
                {"name": "checkpoint", "time_ns": base + 2_000_003, "attributes": {}},
            ],
            "links": [],
            "status": {"code": "ok", "message": ""},
        },
        {
            "trace_id": trace,
            "span_id": plan,
            "parent": {"span_id": root, "trace_state": ""},
            "name": "plan step",
            "kind": "internal",
            "start_ns": base + 10_000_007,
            "end_ns": base + 10_000_007,  # zero duration
            "attributes": {"gen_ai.agent.name": _attr("planner", "planner")},
            "events": [],
            "links": [],
            "status": {"code": "unset", "message": ""},
        },
    ]
    spans_tools = [
        {
            "trace_id": trace,
            "span_id": tool,
            "parent": {"span_id": root, "trace_state": ""},
            "name": "execute_tool web_search",
            "kind": "client",
            "start_ns": base + 20_000_011,
            "end_ns": base + 520_000_013,
            "attributes": {
                "gen_ai.tool.name": _attr("web_search", "web_search"),
                "gapwatch.tool.outcome": _attr("error", "error"),
                "gen_ai.usage.input_tokens": _attr(1234, "1234"),
            },
            "events": [
                {
                    "name": "exception",
                    "time_ns": base + 519_999_999,
                    "attributes": {
                        "exception.type": _attr("ToolTimeout", "ToolTimeout"),
                        "exception.message": _attr(
                            "no answer within 500 ms", "no answer within 500 ms"
                        ),
                    },
                }
            ],
            "links": [],
            "status": {"code": "error", "message": "tool failed: exit status 3"},
        },
        {
            "trace_id": trace,
            "span_id": publish,
            "parent": {"span_id": root, "trace_state": ""},
            "name": "publish task",
            "kind": "producer",
            "start_ns": base + 600_000_017,
            "end_ns": base + 600_500_019,
            "attributes": {"messaging.system": _attr("queue", "queue")},
            "events": [],
            "links": [],
            "status": {"code": "unset", "message": ""},
        },
        {
            "trace_id": other_trace,
            "span_id": consume,
            "parent": None,
            "name": "process task",
            "kind": "consumer",
            "start_ns": base + 700_000_023,
            "end_ns": base + 800_000_029,
            "attributes": {"messaging.batch.message_count": _attr(2, "2")},
            "events": [],
            "links": [
                {
                    "trace_id": trace,
                    "span_id": publish,
                    "trace_state": (
                        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" if caps.link_trace_state else ""
                    ),
                    "attributes": {
                        "messaging.batch.index": _attr(0, "0"),
                        "link.reason": _attr("follows_from", "follows_from"),
                    },
                },
                {
                    "trace_id": remote_trace,
                    "span_id": remote_parent,
                    "trace_state": "",
                    "attributes": {},
                },
            ],
            "status": {"code": "ok", "message": ""},
        },
        {
            "trace_id": remote_trace,
            "span_id": remote_child,
            "parent": {"span_id": remote_parent, "trace_state": "vendor1=abc,vendor2=x:1"},
            "name": "handle remote call",
            "kind": "server",
            "start_ns": base + 900_000_031,
            "end_ns": base + 900_000_032,
            "attributes": {},
            "events": [],
            "links": [],
            "status": {"code": "error", "message": ""},
        },
    ]
    return {
        "client": client,
        "resource": resource_attributes(f"interop-{client}"),
        "scopes": [
            {"name": "gapwatch.interop.agent", "version": "1.2.3", "spans": spans_agent},
            {"name": "gapwatch.interop.tools", "version": "", "spans": spans_tools},
        ],
    }


def wire_spec(scenario: dict[str, Any]) -> dict[str, Any]:
    """The scenario for a client: values only, ``bytes`` as a list of ints, no expectations."""

    def values(attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {key: _wire_value(item["value"]) for key, item in attributes.items()}

    spans = []
    for scope in scenario["scopes"]:
        for span in scope["spans"]:
            spans.append(
                {
                    **span,
                    "scope": {"name": scope["name"], "version": scope["version"]},
                    "attributes": values(span["attributes"]),
                    "events": [
                        {**e, "attributes": values(e["attributes"])} for e in span["events"]
                    ],
                    "links": [{**k, "attributes": values(k["attributes"])} for k in span["links"]],
                    "start_ns": str(span["start_ns"]),
                    "end_ns": str(span["end_ns"]),
                }
            )
            for event in spans[-1]["events"]:
                event["time_ns"] = str(event["time_ns"])
    return {"resource": values(scenario["resource"]), "spans": spans}


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$bytes": list(value)}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        return {"$bigint": str(value)}
    return value


def expected_rows(scenario: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """SpanId → the row the collector must store, with the column names of ``stored_rows``."""
    resource = {key: item["stored"] for key, item in scenario["resource"].items()}
    rows: dict[str, dict[str, Any]] = {}
    for scope in scenario["scopes"]:
        for span in scope["spans"]:
            parent = span["parent"]
            rows[span["span_id"]] = {
                "TimestampNs": span["start_ns"],
                "TraceId": span["trace_id"],
                "SpanId": span["span_id"],
                "ParentSpanId": parent["span_id"] if parent else "",
                "TraceState": parent["trace_state"] if parent else "",
                "SpanName": span["name"],
                "SpanKind": KIND_COLUMN[span["kind"]],
                "ServiceName": resource["service.name"],
                "ResourceAttributes": resource,
                "ScopeName": scope["name"],
                "ScopeVersion": scope["version"],
                "SpanAttributes": {k: v["stored"] for k, v in span["attributes"].items()},
                "Duration": span["end_ns"] - span["start_ns"],
                "StatusCode": STATUS_COLUMN[span["status"]["code"]],
                "StatusMessage": span["status"]["message"],
                "EventTimesNs": [e["time_ns"] for e in span["events"]],
                "Events.Name": [e["name"] for e in span["events"]],
                "Events.Attributes": [
                    {k: v["stored"] for k, v in e["attributes"].items()} for e in span["events"]
                ],
                "Links.TraceId": [k["trace_id"] for k in span["links"]],
                "Links.SpanId": [k["span_id"] for k in span["links"]],
                "Links.TraceState": [k["trace_state"] for k in span["links"]],
                "Links.Attributes": [
                    {k: v["stored"] for k, v in link["attributes"].items()}
                    for link in span["links"]
                ],
            }
    return rows


STORED_COLUMNS = (
    "toUnixTimestamp64Nano(Timestamp) AS TimestampNs",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS EventTimesNs",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)


def stored_rows(client: Client) -> dict[str, dict[str, Any]]:
    result = client.query(f"SELECT {', '.join(STORED_COLUMNS)} FROM otel_traces")
    rows: dict[str, dict[str, Any]] = {}
    for values in result.result_rows:
        row = dict(zip(result.column_names, values, strict=True))
        for key, value in row.items():
            if isinstance(value, tuple):
                row[key] = list(value)
            if key.endswith("Attributes") and isinstance(row[key], list):
                row[key] = [dict(item) for item in row[key]]
        rows[row["SpanId"]] = row
    return rows


def assert_round_trip(client: Client, scenario: dict[str, Any]) -> None:
    """Compare ClickHouse with the scenario column by column, listing every difference."""
    expected = expected_rows(scenario)
    stored = stored_rows(client)
    assert sorted(stored) == sorted(expected), "stored span ids differ from the sent ones"
    problems: list[str] = []
    for span_id, want in expected.items():
        got = stored[span_id]
        for column, value in want.items():
            if column.endswith("Attributes") and isinstance(value, dict):
                problems += _map_differences(span_id, column, value, got[column])
            elif got[column] != value:
                problems.append(f"{span_id} {column}: stored {got[column]!r}, expected {value!r}")
    assert not problems, "round trip changed fields:\n  " + "\n  ".join(problems)


def _map_differences(
    span_id: str, column: str, want: dict[str, str], got: dict[str, str]
) -> list[str]:
    out = []
    for key in sorted(set(want) | set(got)):
        if key not in got:
            out.append(f"{span_id} {column}[{key!r}] missing, expected {want[key]!r}")
        elif key not in want:
            out.append(f"{span_id} {column}[{key!r}] unexpected {got[key]!r}")
        elif got[key] != want[key]:
            out.append(f"{span_id} {column}[{key!r}]: stored {got[key]!r}, expected {want[key]!r}")
    return out
