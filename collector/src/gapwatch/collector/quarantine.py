"""The dead-letter store: acknowledged spans that ClickHouse refused for a reason in the data.

A block that fails to insert for a reason that is not storage availability is split until the
failing request, then the failing span, is alone (see :mod:`gapwatch.collector.drain`); what
still cannot be stored is kept here with the reason, so it never blocks the spans behind it
and is never silently lost.

Entries are files beside the write-ahead log, not rows in ClickHouse: the store has just
refused this data, so the quarantine must not depend on it (nor need a table and a sharding key
on every cluster layout). Each entry is one JSON file named after the insert token of its
piece, written atomically and fsynced before the WAL moves past it; a replay after a crash
rewrites the same file, so an entry exists once.

    quarantine = Quarantine(Path("data/quarantine"))
    quarantine.put(payload, token="…", reason="insert failed: …")
    for entry in quarantine.entries(limit=20): print(entry.reason)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.wal import fsync_directory

_SUFFIX = ".json"
# an entry names at most this many ids; the payload keeps them all
_MAX_LISTED_IDS = 100


@dataclass(frozen=True)
class QuarantineEntry:
    """One piece of a WAL block that could not be stored. ``payload`` is the serialized
    ``ExportTraceServiceRequest`` (base64 in the file), so it can be inspected or replayed."""

    quarantined_at: float  # Unix seconds
    token: str
    reason: str
    spans: int
    trace_ids: tuple[str, ...]
    span_ids: tuple[str, ...]
    payload: bytes

    def summary(self) -> dict[str, object]:
        """The entry without its payload, for listings."""
        listed = asdict(self)
        del listed["payload"]
        listed["trace_ids"] = list(self.trace_ids)
        listed["span_ids"] = list(self.span_ids)
        listed["payload_bytes"] = len(self.payload)
        return listed


class Quarantine:
    def __init__(self, directory: Path, fsync: bool = True):
        self.directory = directory
        self._fsync = fsync
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)

    def put(self, payload: bytes, token: str, reason: str) -> QuarantineEntry:
        """Keep ``payload`` durably; the same ``token`` again replaces its entry."""
        spans, trace_ids, span_ids = _identify(payload)
        entry = QuarantineEntry(time.time(), token, reason, spans, trace_ids, span_ids, payload)
        document = {**entry.summary(), "payload": base64.b64encode(payload).decode("ascii")}
        del document["payload_bytes"]
        name = hashlib.blake2b(token.encode(), digest_size=12).hexdigest() + _SUFFIX
        target = self.directory / name
        temporary = target.with_suffix(".tmp")
        with self._lock:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(document, handle)
                handle.flush()
                if self._fsync:
                    os.fsync(handle.fileno())
            os.replace(temporary, target)
            if self._fsync:
                fsync_directory(self.directory)
        return entry

    def entries(self, limit: int | None = None) -> list[QuarantineEntry]:
        """Entries, newest first; files that cannot be read are skipped."""
        found = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            entry = _load(path)
            if entry is not None:
                found.append(entry)
        found.sort(key=lambda entry: entry.quarantined_at, reverse=True)
        return found if limit is None else found[:limit]

    def count(self) -> int:
        return sum(1 for _ in self.directory.glob(f"*{_SUFFIX}"))


def _identify(payload: bytes) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    try:
        request = ExportTraceServiceRequest.FromString(payload)
    except ProtobufDecodeError:
        return 0, (), ()
    spans = [
        span
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    listed = spans[:_MAX_LISTED_IDS]
    trace_ids = tuple(dict.fromkeys(span.trace_id.hex() for span in listed))
    return len(spans), trace_ids, tuple(span.span_id.hex() for span in listed)


def _load(path: Path) -> QuarantineEntry | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return QuarantineEntry(
            quarantined_at=float(document["quarantined_at"]),
            token=str(document["token"]),
            reason=str(document["reason"]),
            spans=int(document["spans"]),
            trace_ids=tuple(document["trace_ids"]),
            span_ids=tuple(document["span_ids"]),
            payload=base64.b64decode(document["payload"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None

