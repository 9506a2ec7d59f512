"""Plumbing shared by the Python conformance scenarios: the command line, the tracer provider and
its span count, the capture, the ledger, and the request-text distance.

Every scenario runs as ``python <script> LEDGER_PATH [--sessions N] [--capture FILE]``, so its
folder — this one — is on ``sys.path`` and a plain ``from _scenario import …`` finds this module.

    args = scenario_parser(__doc__).parse_args()
    tracing = setup_tracing("support-bot-example", capture=args.capture is not None)
    ...  # run the sessions
    tracing.shutdown()
    write_ledger(args.ledger, tracing.counter.count, [gap("unused_tool", "translate", "bot")],
                 [("orchestrator", "researcher")])
    if args.capture:
        write_capture(args.capture, otlp_request(tracing.captured()))

The ledger is what ``tests/frameworks/harness.py`` holds gapwatch to; a capture is what
``analyzer/tests/model/test_captures.py`` replays.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

DEFAULT_SESSIONS = 150
EXPORT_QUEUE = 100_000  # a whole run fits: a burst of spans is never dropped before export
# spans per OTLP request: the collector refuses bodies over 20 MiB, and LangGraph's spans, which
# repeat the graph state, take up to ~10 KB each (512 of them: ~5 MB)
EXPORT_BATCH = 512
EXPORT_DELAY_MILLIS = 500


class SpanCounter(SpanProcessor):
    """Counts the spans this process ends: the ledger's ``spans``, which the harness waits for."""

    def __init__(self) -> None:
        self.count = 0

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        self.count += 1


@dataclass
class Tracing:
    """The process's global tracer provider, its span counter and, when capturing, a copy of
    every span in memory."""

    provider: TracerProvider
    counter: SpanCounter
    memory: InMemorySpanExporter | None

    def shutdown(self) -> None:
        """Export what is still queued, then stop."""
        self.provider.force_flush()
        self.provider.shutdown()

    def captured(self) -> tuple[ReadableSpan, ...]:
        """The spans ended so far (none unless capturing)."""
        return self.memory.get_finished_spans() if self.memory is not None else ()


@dataclass
class Tally:
    """What a run actually injected: how often each event happened and in which sessions, so the
    ledger lists only the gaps that reached their detector's minimum support."""

    counts: Counter[str] = field(default_factory=Counter)
    sessions: dict[str, set[str]] = field(default_factory=dict)
    session: str = ""  # the session under way, for scenarios that run one at a time

    def add(self, event: str, session: str | None = None, n: int = 1) -> None:
        self.counts[event] += n
        self.sessions.setdefault(event, set()).add(self.session if session is None else session)

    def spread(self, event: str) -> int:
        """The number of sessions ``event`` happened in."""
        return len(self.sessions.get(event, ()))


def scenario_parser(doc: str | None) -> argparse.ArgumentParser:
    """``LEDGER_PATH [--sessions N] [--capture FILE]``, described by the first line of ``doc``;
    a scenario adds its own options before parsing."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS)
    parser.add_argument("--capture", type=Path, help="also write the spans as OTLP/JSON here")
    return parser


def setup_tracing(service_name: str, *, capture: bool = False) -> Tracing:
    """Install the global provider: OTLP/HTTP export (the ``OTEL_EXPORTER_OTLP_*`` settings), a
    span counter and, with ``capture``, an in-memory copy. A capture run without an endpoint
    exports nothing."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if not capture or _endpoint_configured():
        provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(), max_queue_size=EXPORT_QUEUE, max_export_batch_size=EXPORT_BATCH,
            schedule_delay_millis=EXPORT_DELAY_MILLIS))
    counter = SpanCounter()
    provider.add_span_processor(counter)
    memory = InMemorySpanExporter() if capture else None
    if memory is not None:
        provider.add_span_processor(SimpleSpanProcessor(memory))
    trace.set_tracer_provider(provider)
    return Tracing(provider, counter, memory)


def gap(detector: str, tool: str = "", agent: str = "", target_agent: str = "") -> dict[str, str]:
    """One ledger entry: the proposal the harness expects, by its key fields."""
    return {"detector": detector, "tool": tool, "agent": agent, "target_agent": target_agent}


def write_ledger(path: Path, spans: int, gaps: Iterable[dict[str, str]],
                 delegations: Iterable[tuple[str, str]]) -> None:
    """The ledger ``harness.run_scenario`` reads: the spans exported, the gaps injected (see
    :func:`gap`) and the delegations made, as (caller, target) pairs."""
    ledger = {"spans": spans, "gaps": list(gaps),
              "delegations": [{"caller": caller, "target": target}
                              for caller, target in delegations]}
    path.write_text(json.dumps(ledger, indent=2))


def otlp_request(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """``spans`` as one ``ExportTraceServiceRequest`` in protobuf's JSON mapping (base64 ids),
    one of the two OTLP/JSON forms the capture test reads."""
    request: dict[str, Any] = MessageToDict(encode_spans(spans))
    return request


def capture_json(request: dict[str, Any]) -> str:
    """The compact text of a capture (how its size is measured against a budget)."""
    return json.dumps(request, separators=(",", ":"))


def write_capture(path: Path, request: dict[str, Any]) -> None:
    path.write_text(capture_json(request) + "\n")


def ngrams(text: str, n: int) -> Counter[str]:
    """The ``n``-grams of ``text``, lower-cased, counted."""
    text = text.lower()
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


def ngram_distance(a: Counter[str], b: Counter[str]) -> float:
    """ClickHouse's ``ngramDistanceUTF8`` over counted n-grams: 0 for the same grams, 1 for none
    in common. ``repeated_request`` groups requests closer than 0.4."""
    total = a.total() + b.total()
    return (total - 2 * (a & b).total()) / max(1, total)


def _endpoint_configured() -> bool:
    return any(name in os.environ for name in ("OTEL_EXPORTER_OTLP_ENDPOINT",
                                               "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
