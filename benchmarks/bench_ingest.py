"""Ingest benchmark: sustained OTLP/HTTP protobuf and OTLP/gRPC into the collector on embedded chDB.

    .venv/bin/python benchmarks/bench_ingest.py [--spans 100000] [--senders 4]

One run measures, per transport, spans/s from the first request until every span is queryable
(``count()`` in ``otel_traces``), the collector process's CPU time and peak RSS, then bytes on
disk per span after ``OPTIMIZE TABLE … FINAL``. In the same run it measures the ceiling: the same
spans, already flattened, inserted straight into the same schema with clickhouse-connect's
``insert_arrow``, and a per-stage breakdown of the collector's own code paths in µs per span:
decode, validate, WAL append, then either chDB parsing and flattening the block itself (the
default) or the Python fallback (re-read, flatten, insert).

The collector runs in its own process (its own chDB directory; chDB allows one per process) and
is driven over a pipe; senders are separate processes posting pre-encoded requests over
keep-alive connections, released together by a barrier.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

TARGET_SPANS_PER_S = 100_000
STAGE_SPANS = 40_000  # spans timed stage by stage
TARGET_CEILING_RATIO = 0.40
TARGET_RSS_BYTES = 2**30
TARGET_BYTES_PER_SPAN = 60
GRPC_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

# ---------------------------------------------------------------------------------------------
# Realistic agent traces: one invoke_agent span, model calls and tool calls under it.

MODELS = ("claude-sonnet-4", "gpt-4.1", "gemini-2.5-pro", "llama-3.3-70b")
AGENTS = ("planner", "researcher", "coder", "reviewer", "support-triage", "billing-helper")
TOOLS = (
    "web_search",
    "fetch_url",
    "run_sql",
    "read_file",
    "write_file",
    "run_tests",
    "create_ticket",
    "lookup_customer",
    "send_email_draft",
    "calendar_find_slot",
)
OUTCOMES = ("success", "success", "success", "success", "error", "timeout", "not_found")
SERVICES = ("agent-fleet-a", "agent-fleet-b", "support-bot", "coding-agent")


def _kv(key: str, value: object) -> Any:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def make_request(seed: int, n_spans: int, base_ns: int) -> bytes:
    """One pre-encoded ExportTraceServiceRequest of ``n_spans`` agent/tool spans (8–12 attrs)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

    rng = random.Random(seed)
    service = SERVICES[seed % len(SERVICES)]
    resource_attrs = [
        _kv("service.name", service),
        _kv("service.version", f"1.{seed % 7}.0"),
        _kv("deployment.environment.name", "production"),
        _kv("host.name", f"worker-{seed % 13:02d}"),
        _kv("telemetry.sdk.language", "python"),
        _kv("telemetry.sdk.name", "opentelemetry"),
        _kv("telemetry.sdk.version", "1.45.2"),
    ]
    spans: list[Any] = []
    t = base_ns + rng.randrange(0, 3_600_000_000_000)
    while len(spans) < n_spans:
        trace_id = rng.randbytes(16)
        agent = rng.choice(AGENTS)
        conversation = f"conv-{rng.getrandbits(48):012x}"
        model = rng.choice(MODELS)
        root_id = rng.randbytes(8)
        children = rng.randrange(3, 9)
        root_start = t
        cursor = t + 1_000_000
        for _ in range(min(children, n_spans - len(spans) - 1)):
            span_id = rng.randbytes(8)
            duration = rng.randrange(5_000_000, 4_000_000_000)
            if rng.random() < 0.45:
                input_tokens = rng.randrange(200, 20_000)
                output_tokens = rng.randrange(20, 2_000)
                attrs = [
                    _kv("gen_ai.operation.name", "chat"),
                    _kv("gen_ai.provider.name", "anthropic"),
                    _kv("gen_ai.request.model", model),
                    _kv("gen_ai.response.model", model),
                    _kv("gen_ai.agent.name", agent),
                    _kv("gen_ai.conversation.id", conversation),
                    _kv("gen_ai.usage.input_tokens", input_tokens),
                    _kv("gen_ai.usage.output_tokens", output_tokens),
                    _kv("gen_ai.response.finish_reasons", "tool_use"),
                    _kv("gen_ai.request.temperature", 0.2),
                ]
                span = Span(
                    trace_id=trace_id,
                    span_id=span_id,
                    parent_span_id=root_id,
                    name=f"chat {model}",
                    kind=Span.SPAN_KIND_CLIENT,
                    start_time_unix_nano=cursor,
                    end_time_unix_nano=cursor + duration,
                    attributes=attrs,
                )
            else:
                tool = rng.choice(TOOLS)
                outcome = rng.choice(OUTCOMES)
                attrs = [
                    _kv("gen_ai.operation.name", "execute_tool"),
                    _kv("gen_ai.tool.name", tool),
                    _kv("gen_ai.tool.type", "function"),
                    _kv("gen_ai.tool.call.id", f"call_{rng.getrandbits(40):010x}"),
                    _kv("gen_ai.agent.name", agent),
                    _kv("gen_ai.conversation.id", conversation),
                    _kv("gapwatch.tool.outcome", outcome),
                    _kv("gapwatch.tool.duration_ms", duration // 1_000_000),
                    _kv("gapwatch.tool.retries", rng.randrange(0, 3)),
                ]
                if outcome != "success":
                    attrs.append(_kv("error.type", f"Tool{outcome.title().replace('_', '')}"))
                    attrs.append(_kv("gapwatch.tool.capability_gap", rng.random() < 0.3))
                span = Span(
                    trace_id=trace_id,
                    span_id=span_id,
                    parent_span_id=root_id,
                    name=f"execute_tool {tool}",
                    kind=Span.SPAN_KIND_INTERNAL,
                    start_time_unix_nano=cursor,
                    end_time_unix_nano=cursor + duration,
                    attributes=attrs,
                )
                if outcome != "success":
                    span.status.CopyFrom(
                        Status(code=Status.STATUS_CODE_ERROR, message=f"{tool} {outcome}")
                    )
                    event = span.events.add()
                    event.time_unix_nano = cursor + duration - 1_000
                    event.name = "exception"
                    event.attributes.extend(
                        [
                            _kv("exception.type", f"Tool{outcome.title().replace('_', '')}"),
                            _kv("exception.message", f"{tool} returned {outcome}"),
                        ]
                    )
            spans.append(span)
            cursor += duration + rng.randrange(100_000, 50_000_000)
        root = Span(
            trace_id=trace_id,
            span_id=root_id,
            name=f"invoke_agent {agent}",
            kind=Span.SPAN_KIND_SERVER,
            start_time_unix_nano=root_start,
            end_time_unix_nano=cursor,
            attributes=[
                _kv("gen_ai.operation.name", "invoke_agent"),
                _kv("gen_ai.agent.name", agent),
                _kv("gen_ai.agent.id", f"agent-{agent}-v3"),
                _kv("gen_ai.conversation.id", conversation),
                _kv("gen_ai.request.model", model),
                _kv("gen_ai.usage.input_tokens", rng.randrange(1_000, 80_000)),
                _kv("gen_ai.usage.output_tokens", rng.randrange(100, 8_000)),
                _kv("gapwatch.task.outcome", rng.choice(("completed", "completed", "gave_up"))),
                _kv("gapwatch.task.turns", children),
                _kv("user.tier", rng.choice(("free", "pro", "enterprise"))),
            ],
        )
        root.status.code = Status.STATUS_CODE_OK
        spans.append(root)
        t = cursor + rng.randrange(1_000_000, 500_000_000)
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=resource_attrs),
                scope_spans=[
                    ScopeSpans(
                        scope=InstrumentationScope(
                            name="gapwatch.instrumentation", version="0.1.0"
                        ),
                        spans=spans[:n_spans],
                    )
                ],
            )
        ]
    )
    return request.SerializeToString()


@dataclass(frozen=True)
class Plan:
    spans: int  # per transport
    spans_per_request: int
    senders: int
    base_ns: int

    @property
    def requests(self) -> int:
        return -(-self.spans // self.spans_per_request)

    def request_sizes(self) -> list[int]:
        sizes = [self.spans_per_request] * (self.spans // self.spans_per_request)
        if self.spans % self.spans_per_request:
            sizes.append(self.spans % self.spans_per_request)
        return sizes

    def share(self, sender: int, seed_offset: int) -> list[tuple[int, int]]:
        """(seed, size) of the requests sender ``sender`` posts."""
        sizes = self.request_sizes()
        return [(seed_offset + i, sizes[i]) for i in range(sender, len(sizes), self.senders)]


# ---------------------------------------------------------------------------------------------
# Senders (separate processes)


def _sender(
    transport: str,
    port: int,
    work: list[tuple[int, int]],
    base_ns: int,
    barrier: Any,
    results: Any,
) -> None:
    bodies = [make_request(seed, size, base_ns) for seed, size in work]
    spans = sum(size for _, size in work)
    barrier.wait()
    began = time.perf_counter()
    retries = 0
    if transport == "http":
        retries = _post_http(port, bodies)
    else:
        retries = _post_grpc(port, bodies)
    results.put((spans, sum(map(len, bodies)), time.perf_counter() - began, retries))


def _post_http(port: int, bodies: list[bytes]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/x-protobuf"}
    retries = 0
    for body in bodies:
        for _attempt in range(200):
            connection.request("POST", "/v1/traces", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            if response.status == 200:
                break
            if response.status in (429, 503):
                retries += 1
                time.sleep(float(response.getheader("Retry-After") or 1))  # what clients do
                continue
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        else:
            raise RuntimeError("gave up after repeated throttling")
    connection.close()
    return retries


def _post_grpc(port: int, bodies: list[bytes]) -> int:
    import grpc

    channel = grpc.insecure_channel(
        f"127.0.0.1:{port}",
        options=[("grpc.enable_http_proxy", 0), ("grpc.max_send_message_length", 64 * 2**20)],
    )
    export = channel.unary_unary(GRPC_METHOD)  # raw bytes in and out
    retries = 0
    for body in bodies:
        for _attempt in range(200):
            try:
                export(body, timeout=60)
                break
            except grpc.RpcError as error:
                if error.code() not in (
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                ):
                    raise
                retries += 1
                time.sleep(1.0)  # the collector's RetryInfo asks for ≥ 1 s
        else:
            raise RuntimeError("gave up after repeated throttling")
    channel.close()
    return retries


# ---------------------------------------------------------------------------------------------
# The collector process, driven over a pipe


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _collector_main(workdir: str, conn: Connection) -> None:
    from gapwatch.collector.server import CollectorConfig, CollectorServer

    server = CollectorServer(
        CollectorConfig(
            store_url=f"chdb://{workdir}/chdb?database=bench",
            wal_dir=Path(workdir) / "wal",
            host="127.0.0.1",
            http_port=0,
            grpc_port=0,
        )
    )
    server.start()
    conn.send({"http_port": server.http_port, "grpc_port": server.grpc_port})
    while True:
        command, argument = conn.recv()
        if command == "mark":
            conn.send({"cpu_s": _cpu_s(), "t": time.perf_counter()})
        elif command == "wait_stored":
            stored = server.wait_stored(argument)
            now = time.perf_counter()
            count = server.client.command("SELECT count() FROM otel_traces")
            conn.send(
                {
                    "drained": stored,
                    "count": int(count),
                    "t": now,
                    "cpu_s": _cpu_s(),
                    "rss": _peak_rss_bytes(),
                }
            )
        elif command == "disk":
            conn.send(_bytes_on_disk(server.client, "bench"))
        elif command == "ceiling":
            conn.send(_ceiling_and_stages(server.client, argument))
        elif command == "stop":
            server.stop()
            conn.send({"rss": _peak_rss_bytes()})
            return


def _bytes_on_disk(client: Any, database: str) -> dict[str, Any]:
    """Bytes of ``otel_traces`` after merging, and what they are made of: column data and the
    exporter's skip indexes."""
    client.command(f"OPTIMIZE TABLE `{database}`.otel_traces FINAL")
    where = "WHERE active AND database = {db:String} AND table = 'otel_traces'"
    row = client.query(
        "SELECT sum(bytes_on_disk), sum(rows), sum(data_compressed_bytes), "
        f"sum(secondary_indices_compressed_bytes) FROM system.parts {where}",
        parameters={"db": database},
    ).result_rows[0]
    columns = client.query(
        "SELECT column, sum(column_data_compressed_bytes) AS bytes FROM system.parts_columns "
        f"{where} GROUP BY column ORDER BY bytes DESC",
        parameters={"db": database},
    ).result_rows
    indexes = client.query(
        "SELECT name, data_compressed_bytes FROM system.data_skipping_indices "
        "WHERE database = {db:String} AND table = 'otel_traces' "
        "ORDER BY data_compressed_bytes DESC",
        parameters={"db": database},
    ).result_rows
    return {
        "bytes": int(row[0]),
        "rows": int(row[1]),
        "column_bytes": int(row[2]),
        "index_bytes": int(row[3]),
        "columns": [(str(name), int(size)) for name, size in columns],
        "indexes": [(str(name), int(size)) for name, size in indexes],
    }


def _arrow_table(columns: dict[str, list[Any]]) -> Any:
    import pyarrow as pa

    from gapwatch.collector.flatten import INSERT_COLUMNS

    string_map = pa.map_(pa.string(), pa.string())

    def maps(values: list[dict[str, str]]) -> Any:
        return pa.array([list(m.items()) for m in values], type=string_map)

    types: dict[str, Any] = {
        "Timestamp": pa.timestamp("ns"),
        "Duration": pa.uint64(),
        "Events.Timestamp": pa.list_(pa.timestamp("ns")),
        "Events.Name": pa.list_(pa.string()),
        "Links.TraceId": pa.list_(pa.string()),
        "Links.SpanId": pa.list_(pa.string()),
        "Links.TraceState": pa.list_(pa.string()),
    }
    arrays = []
    for name in INSERT_COLUMNS:
        values = columns[name]
        if name in ("ResourceAttributes", "SpanAttributes"):
            arrays.append(maps(values))
        elif name in ("Events.Attributes", "Links.Attributes"):
            arrays.append(
                pa.array(
                    [[list(m.items()) for m in row] for row in values], type=pa.list_(string_map)
                )
            )
        else:
            arrays.append(pa.array(values, type=types.get(name, pa.string())))
    return pa.Table.from_arrays(arrays, names=list(INSERT_COLUMNS))


def _drainer_blocks(bodies: list[bytes], spans_per_request: int) -> list[bytes]:
    """The requests joined into blocks of the WAL drainer's default size, as it inserts them."""
    from gapwatch.collector.drain import DEFAULT_BATCH_SPANS

    per_block = max(1, DEFAULT_BATCH_SPANS // spans_per_request)
    return [b"".join(bodies[i : i + per_block]) for i in range(0, len(bodies), per_block)]


def _ceiling_and_stages(client: Any, plan: Plan) -> dict[str, Any]:
    """Direct Arrow insert of the same spans (the ceiling) and the collector's stages, timed."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from gapwatch.collector.decode import parse_protobuf
    from gapwatch.collector.flatten import INSERT_COLUMNS, AttributeLimits, flatten_request
    from gapwatch.collector.pipeline import body_digest
    from gapwatch.collector.protobuf_insert import ProtobufSpanWriter
    from gapwatch.collector.redaction import Redactor
    from gapwatch.collector.request_redaction import redact_request
    from gapwatch.collector.schema import SchemaOptions, create_schema
    from gapwatch.collector.validation import TimePolicy, select_valid_spans
    from gapwatch.collector.wal import WriteAheadLog
    from gapwatch.collector.writer import ClickHouseSpanWriter

    # the HTTP transport's spans, regenerated from the same seeds
    bodies = [
        make_request(seed, size, plan.base_ns)
        for seed, size in ((i, s) for i, s in enumerate(plan.request_sizes()))
    ]
    total = plan.spans
    client.command("CREATE DATABASE IF NOT EXISTS ceiling")
    client.command("CREATE DATABASE IF NOT EXISTS stages")
    ceiling_client_db = client.database
    stage: dict[str, float] = {}
    redact = Redactor.default()
    limits = AttributeLimits()
    policy = TimePolicy()
    wal = WriteAheadLog(Path(tempfile.mkdtemp(prefix="gapwatch-bench-wal-")), fsync=True)
    stage_spans = 0
    try:
        # collector stages, in the order a span meets them, on the first ``STAGE_SPANS`` spans
        sizes = plan.request_sizes()
        n_stage = max(1, min(len(bodies), STAGE_SPANS // plan.spans_per_request))
        stage_bodies, stage_sizes = bodies[:n_stage], sizes[:n_stage]
        stage_spans = sum(stage_sizes)
        t = time.perf_counter()
        requests = [parse_protobuf(body) for body in stage_bodies]
        stage["decode (protobuf parse)"] = time.perf_counter() - t
        t = time.perf_counter()
        digests = [body_digest(body) for body in stage_bodies]
        stage["digest (retry dedup)"] = time.perf_counter() - t
        t = time.perf_counter()
        for request in requests:
            select_valid_spans(request, policy)
        stage["validate"] = time.perf_counter() - t
        t = time.perf_counter()
        for request, body in zip(requests, stage_bodies, strict=True):
            redact_request(request, redact, body)
        stage["redact (before the WAL)"] = time.perf_counter() - t
        t = time.perf_counter()
        for body, digest, size in zip(stage_bodies, digests, stage_sizes, strict=True):
            wal.sync(wal.append(body, digest, 0, size))
        stage["WAL append + fsync"] = time.perf_counter() - t
        t = time.perf_counter()
        merged = ExportTraceServiceRequest.FromString(b"".join(stage_bodies))
        stage["drain re-parse (WAL → request)"] = time.perf_counter() - t
        t = time.perf_counter()
        # redaction happened before the WAL: the drain flattens what the WAL holds
        columns = flatten_request(merged, limits, None)
        stage["flatten (Python fallback)"] = time.perf_counter() - t
        client.database = "stages"
        create_schema(client, SchemaOptions(database="stages"))
        t = time.perf_counter()
        ClickHouseSpanWriter(client).write(columns, "bench-stages")
        stage["insert (clickhouse-connect, Python rows)"] = time.perf_counter() - t
        # the collector's default path: chDB parses, flattens and inserts in one query
        scratch = Path(tempfile.mkdtemp(prefix="gapwatch-bench-scratch-"))
        sql_writer = ProtobufSpanWriter(client, scratch, limits, None)
        # a one-span block, twice (the first also warms up): what every block pays before its
        # first span, mostly ClickHouse analysing the query
        one_span = make_request(10**7, 1, plan.base_ns)
        for attempt in range(2):
            t = time.perf_counter()
            sql_writer.write_payload(one_span, f"bench-stages-one-{attempt}")
            block_overhead_s = time.perf_counter() - t
        # then the stage's spans in blocks of the drainer's size, as the drainer writes them
        stage_blocks = _drainer_blocks(stage_bodies, plan.spans_per_request)
        t = time.perf_counter()
        for number, payload in enumerate(stage_blocks):
            sql_writer.write_payload(payload, f"bench-stages-sql-{number}")
        stage["chDB parse + flatten + insert (default path)"] = time.perf_counter() - t
        shutil.rmtree(scratch, ignore_errors=True)

        # the ceiling's input: all spans flattened, in the drainer's default batch size
        flat = [
            flatten_request(ExportTraceServiceRequest.FromString(block), limits, None)
            for block in _drainer_blocks(bodies, plan.spans_per_request)
        ]
        # the ceiling: same spans as Arrow tables, straight into the same schema
        tables = [_arrow_table(columns) for columns in flat]
        client.database = "ceiling"
        create_schema(client, SchemaOptions(database="ceiling"))
        t = time.perf_counter()
        for table in tables:
            client.insert_arrow("otel_traces", table)
        ceiling_s = time.perf_counter() - t
        count = int(client.command("SELECT count() FROM otel_traces"))
        assert count == total, f"ceiling stored {count} of {total} spans"
        assert list(tables[0].column_names) == list(INSERT_COLUMNS)
    finally:
        client.database = ceiling_client_db
        wal.close()
        shutil.rmtree(wal.directory, ignore_errors=True)
    return {
        "ceiling_s": ceiling_s,
        "spans": total,
        "stages": stage,
        "stage_spans": stage_spans,
        "block_overhead_s": block_overhead_s,
    }


# ---------------------------------------------------------------------------------------------
# Driver


def _run_transport(
    ctx: Any,
    conn: Connection,
    transport: str,
    port: int,
    plan: Plan,
    seed_offset: int,
    expected_total: int,
) -> dict[str, Any]:
    barrier = ctx.Barrier(plan.senders + 1)
    results = ctx.Queue()
    senders = [
        ctx.Process(
            target=_sender,
            args=(transport, port, plan.share(i, seed_offset), plan.base_ns, barrier, results),
        )
        for i in range(plan.senders)
    ]
    for process in senders:
        process.start()
    barrier.wait(timeout=300)  # every sender has encoded its requests
    conn.send(("mark", None))
    mark = conn.recv()
    outcomes = [results.get(timeout=600) for _ in senders]
    for process in senders:
        process.join(timeout=30)
        if process.exitcode != 0:
            raise RuntimeError(f"a {transport} sender failed (exit {process.exitcode})")
    conn.send(("wait_stored", 300.0))
    done = conn.recv()
    if not done["drained"] or done["count"] != expected_total:
        raise RuntimeError(f"{transport}: stored {done['count']} of {expected_total} spans")
    elapsed = done["t"] - mark["t"]
    return {
        "spans": plan.spans,
        "elapsed_s": elapsed,
        "spans_per_s": plan.spans / elapsed,
        "cpu_s": done["cpu_s"] - mark["cpu_s"],
        "rss": done["rss"],
        "bytes_sent": sum(o[1] for o in outcomes),
        "send_s": max(o[2] for o in outcomes),
        "retries": sum(o[3] for o in outcomes),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=100_000, help="spans per transport")
    parser.add_argument("--spans-per-request", type=int, default=4_000)
    parser.add_argument("--senders", type=int, default=4, help="sender processes per transport")
    args = parser.parse_args(argv)

    now_s = time.time_ns() // 1_000_000_000
    plan = Plan(
        args.spans, args.spans_per_request, args.senders, base_ns=(now_s - 2 * 3600) * 1_000_000_000
    )
    ctx = mp.get_context("spawn")
    workdir = tempfile.mkdtemp(prefix="gapwatch-bench-")
    parent_conn, child_conn = ctx.Pipe()
    collector = ctx.Process(target=_collector_main, args=(workdir, child_conn))
    collector.start()
    try:
        ports = parent_conn.recv()
        print(
            f"gapwatch ingest benchmark: {plan.spans:,} spans per transport, "
            f"{plan.spans_per_request:,} spans/request, {plan.senders} sender processes, "
            f"{os.cpu_count()} CPUs, collector defaults (fsync on, redaction on)"
        )
        results = {}
        results["OTLP/HTTP protobuf"] = _run_transport(
            ctx, parent_conn, "http", ports["http_port"], plan, 0, plan.spans
        )
        results["OTLP/gRPC"] = _run_transport(
            ctx, parent_conn, "grpc", ports["grpc_port"], plan, 1_000_000, 2 * plan.spans
        )
        parent_conn.send(("disk", None))
        disk = parent_conn.recv()
        parent_conn.send(("ceiling", plan))
        ceiling = parent_conn.recv()
        parent_conn.send(("stop", None))
        final = parent_conn.recv()
    finally:
        collector.join(timeout=60)
        if collector.is_alive():
            collector.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    return _report(plan, results, disk, ceiling, final)


def _report(
    plan: Plan,
    results: dict[str, Any],
    disk: dict[str, Any],
    ceiling: dict[str, Any],
    final: dict[str, int],
) -> int:
    ceiling_rate = ceiling["spans"] / ceiling["ceiling_s"]
    print()
    print(
        f"{'transport':<20}{'spans/s':>12}{'elapsed s':>11}{'CPU s':>8}{'CPU µs/span':>13}"
        f"{'MB sent':>9}{'retries':>9}"
    )
    for name, r in results.items():
        print(
            f"{name:<20}{r['spans_per_s']:>12,.0f}{r['elapsed_s']:>11.2f}{r['cpu_s']:>8.2f}"
            f"{r['cpu_s'] / r['spans'] * 1e6:>13.1f}{r['bytes_sent'] / 1e6:>9.1f}"
            f"{r['retries']:>9}"
        )
    best = min(r["spans_per_s"] for r in results.values())
    bytes_per_span = disk["bytes"] / disk["rows"]
    # during the transports; the ceiling phase later runs in the same process and is excluded
    rss = max(r["rss"] for r in results.values())
    print()
    print(
        f"ceiling (insert_arrow, same spans, same schema): {ceiling_rate:,.0f} spans/s "
        f"({ceiling['spans']:,} spans in {ceiling['ceiling_s']:.2f} s)"
    )
    ratios = {name: r["spans_per_s"] / ceiling_rate for name, r in results.items()}
    print("end to end / ceiling: " + ", ".join(f"{n} {v:.0%}" for n, v in ratios.items()))
    print(f"collector peak RSS: {rss / 2**20:,.0f} MiB")
    print(
        f"bytes on disk per span (after OPTIMIZE FINAL): {bytes_per_span:.1f} "
        f"({disk['bytes']:,} bytes, {disk['rows']:,} rows)"
    )
    _print_storage(disk)
    print()
    print(f"collector stages, one thread, µs per span ({ceiling['stage_spans']:,} spans):")
    for name, seconds in ceiling["stages"].items():
        print(f"  {name:<56}{seconds / ceiling['stage_spans'] * 1e6:>8.2f}")
    print(
        f"  of which every default-path block pays, whatever its size: "
        f"{ceiling['block_overhead_s'] * 1e3:.0f} ms (a one-span block)"
    )
    checks = [
        (f"≥ {TARGET_SPANS_PER_S:,} spans/s end to end", best >= TARGET_SPANS_PER_S),
        (
            f"≥ {TARGET_CEILING_RATIO:.0%} of the ceiling",
            min(ratios.values()) >= TARGET_CEILING_RATIO,
        ),
        ("peak RSS ≤ 1 GiB", rss <= TARGET_RSS_BYTES),
        (f"≤ {TARGET_BYTES_PER_SPAN} bytes/span", bytes_per_span <= TARGET_BYTES_PER_SPAN),
    ]
    print()
    for label, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}")
    return 0


def _print_storage(disk: dict[str, Any]) -> None:
    """Where the bytes of a span go: the largest columns and the skip indexes, per span."""
    rows = disk["rows"]
    print(
        f"  column data {disk['column_bytes'] / rows:.1f}, "
        f"the exporter's skip indexes {disk['index_bytes'] / rows:.1f}"
    )
    print("  largest columns: " + ", ".join(f"{n} {b / rows:.1f}" for n, b in disk["columns"][:6]))
    print("  skip indexes: " + ", ".join(f"{n} {b / rows:.1f}" for n, b in disk["indexes"] if b))


if __name__ == "__main__":
    sys.exit(main())
