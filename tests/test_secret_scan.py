"""Every kind of secret, seeded into every field, is found nowhere afterwards: not in any table of
the database (raw spans, the analyzer's model, rollups, proposals, runs), not in the collector's
write-ahead log, not anywhere under the data directory.

Spans go over real OTLP/HTTP to a real ``gapwatch serve`` (collector and analyzer on embedded
chDB); an analysis turns them into proposals, so what a secret in a tool's name would flow into
exists. After a clean stop, a separate process opens the chDB directory (one directory per
process) and dumps every table, every column cast to text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gapwatch.collector.testing import any_value, make_request, make_span
from tests.serving import GapwatchServer

# secrets caught by their shape: (text as an agent would emit it, the part that must vanish)
SHAPED = {
    "openai": ("sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234", "AbCdEfGhIjKlMnOpQrStUvWx1234"),
    "anthropic": ("sk-ant-api03-Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2", "Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2"),
    "aws_key": ("AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
    "aws_secret": (
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG",
    ),
    "jwt": (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0T",
        "dozjgNryP4J3jVmNHl0w5N",
    ),
    "github": ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "0123456789abcdefghijABCDEFGHIJ"),
    "github_pat": ("github_pat_11AAAAAAA0Zy8Xw7Vu6Ts5_RqPoNmLkJiHgFeDcBa", "0Zy8Xw7Vu6Ts5"),
    "slack": ("xoxb-2468013579-QwErTyUiOp", "2468013579-QwErTyUiOp"),
    "google": ("AIza" + "SyD3m0K3y-" + "x" * 25, "SyD3m0K3y-"),
    "stripe": ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    "email": ("jane.roe@example.org", "jane.roe@example.org"),
    "bearer": ("Authorization: Bearer be4rerT0kenValue99", "be4rerT0kenValue99"),
    "bearer_url": ("h=Authorization%3A%20Bearer%20urlEnc0dedBearer77", "urlEnc0dedBearer77"),
    "basic": ("Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "YWxhZGRpbjpvcGVuc2VzYW1l"),
    "url_password": ("GET https://x.io/cb?user=bob&password=Pa55QueryValue", "Pa55QueryValue"),
    "url_pwd": ("GET https://x.io/cb?user=bob&pwd=PwdQueryValue9", "PwdQueryValue9"),
    "key_urlenc": ("next=%2Fcb%3Fkey%3DEnc0dedKeyValue", "Enc0dedKeyValue"),
    "url_credentials": ("postgres://admin:UrlCredValue42@db.internal/app", "UrlCredValue42"),
    "json_password": ('{"password": "JsonPassValue31"}', "JsonPassValue31"),
    "private_key": (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQPrivKeyBody77\n-----END PRIVATE KEY-----",
        "MIIEvQPrivKeyBody77",
    ),
}
# secrets caught by the key that names them: the value has no telling shape
KEYED = {
    key: f"opaque-{n}-keyed-value"
    for n, key in enumerate(
        (
            "token",
            "auth_token",
            "x-auth-token",
            "id_token",
            "session_token",
            "pwd",
            "passphrase",
            "credentials",
            "private-key",
            "api.key",
            "http.request.header.authorization",
            "http.request.header.cookie",
        )
    )
}
NESTED_PASSWORD = "opaque-nested-kvlist-password"
ALL_SHAPED = " | ".join(text for text, _ in SHAPED.values())
NEEDLES = [needle for _, needle in SHAPED.values()] + list(KEYED.values()) + [NESTED_PASSWORD]
# counts of model tokens, not credentials: stored as sent
HARMLESS = {"gen_ai.usage.input_tokens": "1234", "max_tokens": "4096", "token_count": "77"}
TOOL = f"lookup {SHAPED['github'][0]}"
AGENT = f"planner {SHAPED['email'][0]}"


def secret_attributes() -> dict[str, object]:
    """Every shaped secret as a value and inside a key; every keyed secret; nesting."""
    attributes: dict[str, object] = {f"note.{name}": text for name, (text, _) in SHAPED.items()}
    attributes.update({f"k {text}": "value" for text, _ in SHAPED.values()})
    attributes.update(KEYED)
    attributes["config"] = {"password": NESTED_PASSWORD, "list": [ALL_SHAPED, {"t": ALL_SHAPED}]}
    attributes["messages"] = [ALL_SHAPED, 3]
    attributes.update({key: int(value) for key, value in HARMLESS.items()})
    return attributes


def carrier_request(now_ns: int) -> ExportTraceServiceRequest:
    """One span carrying secrets in every string field OTLP has."""
    attributes = secret_attributes()
    span = make_span(
        f"span name {ALL_SHAPED}",
        start_ns=now_ns,
        attributes=attributes,
        status_code=2,
        status_message=f"failed: {ALL_SHAPED}",
    )
    span.trace_state = f"vendor={SHAPED['github'][0]},other={SHAPED['jwt'][0]}"
    event = span.events.add(name=f"event {ALL_SHAPED}", time_unix_nano=now_ns + 1000)
    for key, value in attributes.items():
        event.attributes.add(key=key, value=any_value(value))
    link = span.links.add(
        trace_id=bytes(range(1, 17)), span_id=bytes(range(1, 9)), trace_state=f"v={ALL_SHAPED}"
    )
    for key, value in attributes.items():
        link.attributes.add(key=key, value=any_value(value))
    request = make_request(
        [span],
        resource={key: value for key, value in attributes.items() if key != "service.name"},
        scope=(f"scope {ALL_SHAPED}", f"1.0 {SHAPED['openai'][0]}"),
    )
    scope = request.resource_spans[0].scope_spans[0].scope
    scope.attributes.add(key="scope.secret", value=AnyValue(string_value=ALL_SHAPED))
    return request


def tool_calls_request(start: datetime, count: int, failures: int) -> ExportTraceServiceRequest:
    """``count`` runs of an agent calling a tool whose name holds secrets; the first
    ``failures`` time out, enough for the failure-hotspot detector to raise a proposal."""
    spans: list[Span] = []
    for i in range(count):
        begin = int((start + timedelta(minutes=i)).timestamp() * 1e9)
        trace_id = (i + 1).to_bytes(16, "big")
        session = f"session-{i % 8} {SHAPED['email'][0]}"
        agent = make_span(
            f"invoke_agent {AGENT}",
            trace_id=trace_id,
            span_id=(1000 + i).to_bytes(8, "big"),
            start_ns=begin,
            duration_ns=950_000_000,
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": AGENT,
                "gen_ai.conversation.id": session,
            },
        )
        tool = make_span(
            f"execute_tool {TOOL}",
            trace_id=trace_id,
            span_id=(5000 + i).to_bytes(8, "big"),
            parent_span_id=agent.span_id,
            start_ns=begin + 1_000_000,
            duration_ns=900_000_000,
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": TOOL,
                "gen_ai.agent.name": AGENT,
                "gen_ai.conversation.id": session,
                **({"error.type": "TimeoutError"} if i < failures else {}),
            },
            status_code=2 if i < failures else 0,
            status_message=f"timed out calling {SHAPED['bearer'][0]}" if i < failures else "",
        )
        spans += [agent, tool]
    return make_request(spans, service_name="shop-assistant")


DUMP_SCRIPT = """
import json, sys
from gapwatch.collector import connect
client = connect(sys.argv[1])
out = {}
rows = client.query(
    "SELECT database, name FROM system.tables WHERE (database NOT IN "
    "('system', 'INFORMATION_SCHEMA', 'information_schema') OR name LIKE '%\\\\_log') "
    "AND engine NOT IN ('View', 'MaterializedView')"
).result_rows
for database, name in rows:
    query = f"SELECT * FROM `{database}`.`{name}` FORMAT TSVRaw"
    out[f"{database}.{name}"] = client.raw_query(query).decode("utf-8", "replace")
json.dump(out, open(sys.argv[2], "w"))
"""


def dump_database(data_dir: Path, destination: Path) -> dict[str, str]:
    """Every table's rows as text, read by a process of its own."""
    store_url = f"chdb://{(data_dir / 'chdb').resolve()}"
    subprocess.run(
        [sys.executable, "-c", DUMP_SCRIPT, store_url, str(destination)],
        check=True,
        timeout=300,
    )
    return dict(json.loads(destination.read_text()))


def test_no_seeded_secret_is_anywhere_in_the_database_or_on_disk(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {"GAPWATCH_ASSEMBLY_INTERVAL_SECONDS": "1", "GAPWATCH_ASSEMBLY_SETTLE_SECONDS": "1"}
    now = datetime.now(UTC).replace(microsecond=0)
    with GapwatchServer(data_dir, env=env) as server:
        url = f"{server.otlp_http_endpoint}/v1/traces"
        headers = {"content-type": "application/x-protobuf"}
        for request in (
            carrier_request(int((now - timedelta(minutes=5)).timestamp() * 1e9)),
            tool_calls_request(now - timedelta(minutes=50), 40, failures=20),
        ):
            response = httpx.post(url, content=request.SerializeToString(), headers=headers)
            assert response.status_code == 200, response.text
        server.wait_for_spans(81)
        api = httpx.Client(base_url=server.api_url, timeout=120)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the model assembles settled traces
            tools = api.get("/api/v1/tools", params={"window": "1d"}).json()["tools"]
            if sum(t["calls"] for t in tools) >= 40:
                break
            time.sleep(0.2)
        run = api.post("/api/v1/analyses", json={"window": "1d"}).json()
        assert run["proposals"]["new"] >= 1, run
        served = api.get("/api/v1/proposals").text + api.get("/api/v1/tools").text
        api.close()
    tables = dump_database(data_dir, tmp_path / "dump.json")

    # the scan sees the data: redacted markers reached the raw spans and what derives from them
    assert "otel_traces" in " ".join(tables)
    derived = [name for name, text in tables.items() if "lookup [REDACTED:github_token]" in text]
    assert any(name.endswith(".gapwatch_proposals") for name in derived), (derived, sorted(tables))
    raw = next(text for name, text in tables.items() if name.endswith(".otel_traces"))
    for key, value in HARMLESS.items():
        assert f"'{key}':'{value}'" in raw, f"{key} was redacted but is not a secret"

    on_disk = b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file())
    leaks = [
        f"{needle!r} in {where}"
        for needle in NEEDLES
        for where, text in [*tables.items(), ("the API", served)]
        if needle in text
    ] + [f"{needle!r} on disk" for needle in NEEDLES if needle.encode() in on_disk]
    assert not leaks, f"{len(leaks)} secret(s) survived: {leaks[:20]}"
