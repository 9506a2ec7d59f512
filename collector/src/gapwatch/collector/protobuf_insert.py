"""Let ClickHouse parse and flatten OTLP itself: one ``INSERT … SELECT`` per WAL block.

Flattening spans in Python costs ~25 µs a span; chDB parses the same protobuf with its
Protobuf input format and renders the rows in one ``INSERT … SELECT … ARRAY JOIN``, several
times faster and with the GIL released. The rows are identical to ``flatten.py``'s; an
equivalence test holds the two together.

The SQL path renders the common case only. A block with a value it cannot render exactly (nested
deeper than the unrolled structure, a repeated attribute key) or one the caps would cut (any
string over ``max_value_length``, a key over ``max_key_length``, a list over
``max_attributes``) stops the query before any row
exists and raises :class:`NeedsPythonFlatten`; the drainer then flattens that block in Python,
which counts what it cuts. Nothing was inserted, so either path stores the block under the same
deduplication token.

Only embedded chDB is supported: the block and its schema reach the engine as files in the
WAL directory.

    writer = ProtobufSpanWriter(client, scratch_dir, AttributeLimits(), Redactor.default())
    writer.write_payload(payload, token="…")
"""

from __future__ import annotations

import errno
import os
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from gapwatch.collector.errors import CollectorError
from gapwatch.collector.flatten import AttributeLimits
from gapwatch.collector.insert_errors import classify_insert_error
from gapwatch.collector.protobuf_shape import (
    DEFAULT_DEPTH,
    REQUEST_MESSAGE,
    request_proto,
    request_structure,
)
from gapwatch.collector.redaction import Redactor
from gapwatch.collector.sql_render import MAX_ATTRIBUTES, SqlAttributeRenderer
from gapwatch.collector.writer import DEDUPLICATION_SETTINGS, TRACES_TABLE

SCRATCH_FILE = "protobuf-block.bin"
# insert_spans.sql raises (throwIf) with this prefix when a block needs the Python path
PYTHON_PATH_MARKER = "gapwatch-python-path:"
PYTHON_PATH_REASONS = (
    "a value nests deeper than the SQL path renders, an attribute key repeats in one list, "
    "or a string, key or list exceeds its cap"
)


class NeedsPythonFlatten(CollectorError):
    """This block cannot be rendered exactly in SQL; flatten it in Python instead."""


def _template(name: str) -> Template:
    folder = resources.files("gapwatch.collector").joinpath("sql").joinpath("protobuf")
    return Template(folder.joinpath(name).read_text(encoding="utf-8"))


class ProtobufSpanWriter:
    def __init__(
        self,
        client: Client,
        scratch_dir: str | os.PathLike[str],
        limits: AttributeLimits | None = None,
        redactor: Redactor | None = None,
        *,
        table: str = TRACES_TABLE,
        depth: int = DEFAULT_DEPTH,
    ):
        self._client = client
        scratch = Path(scratch_dir).resolve()
        self._scratch = scratch / SCRATCH_FILE
        # a schema file of our own: an inline schema (format_schema_source = 'string') would be
        # cached by the engine in a __cache__ folder under the process's working directory
        schema_file = scratch / f"otlp-request-depth{depth}.proto"
        schema_file.write_text(request_proto(depth), encoding="utf-8")
        renderer = SqlAttributeRenderer(limits or AttributeLimits(), redactor, depth)
        self._parameters: dict[str, Any] = {
            **renderer.parameters,
            "path": str(self._scratch),
            "structure": request_structure(depth),
            "format_schema": f"{schema_file}:{REQUEST_MESSAGE}",
            "python_path_message": f"{PYTHON_PATH_MARKER} {PYTHON_PATH_REASONS}",
        }
        read_settings = (
            "format_schema = {format_schema:String}, input_format_protobuf_oneof_presence = 1"
        )
        self._insert_sql = _template("insert_spans.sql").substitute(
            table=table,
            resource_rendered_list=renderer.rendered_list("resource.resource.attributes"),
            rendered_list=renderer.rendered_list("attrs"),
            status_message=renderer.redacted(None, "span.status.message"),
            resource_needs_python=_needs_python(
                renderer, "[resource.resource.attributes]", "[resource_list]"
            ),
            span_needs_python=_needs_python(renderer, "span_lists", "rendered")
            + "".join(
                f" OR {renderer.over_length(text)}"
                for text in ("span.name", "status_message", "span.trace_state")
                + ("scope.name", "scope.version")
            )
            + f" OR arrayExists(ev -> {renderer.over_length('ev.name')}, span.events)"
            + f" OR arrayExists(ln -> {renderer.over_length('ln.trace_state')}, span.links)",
            python_path_message="{python_path_message:String}",
            settings=read_settings
            + "".join(f", {name} = {value}" for name, value in DEDUPLICATION_SETTINGS.items())
            + ", insert_deduplication_token = {token:String}"
            # one block per insert: a stop raised while rows are produced leaves nothing behind
            + f", min_insert_block_size_rows = {2**62}, min_insert_block_size_bytes = {2**62}",
        )

    def write_payload(self, payload: bytes, token: str) -> None:
        """Insert the spans of one serialized ``ExportTraceServiceRequest``.

        Raises :class:`NeedsPythonFlatten` (nothing inserted), or what
        :func:`~gapwatch.collector.insert_errors.classify_insert_error` makes of a failure.
        """
        try:
            # a full or broken disk is retried like an unavailable store, not a crash
            self._write_scratch(payload)
            self._client.command(self._insert_sql, parameters={**self._parameters, "token": token})
        except (ClickHouseError, OSError) as error:
            if PYTHON_PATH_MARKER in str(error):
                raise NeedsPythonFlatten(PYTHON_PATH_REASONS) from error
            raise classify_insert_error(error, "insert into otel_traces failed") from error
        finally:
            self._scratch.unlink(missing_ok=True)

    def _write_scratch(self, payload: bytes) -> None:
        try:
            self._scratch.write_bytes(payload)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                # the block file shares the WAL's disk, and storing blocks is what frees that
                # disk: when it is full, the Python path (which needs no file) stores instead
                raise NeedsPythonFlatten(f"no space for the block file: {error}") from error
            raise


def protobuf_path_problem(client: Client, embedded: bool, redact: object) -> str:
    """Why ClickHouse cannot flatten blocks for this collector, or ``""`` when it can.

    The block file must be readable by the engine (embedded chDB), and the redaction rules must
    be a :class:`Redactor` whose patterns RE2 (ClickHouse's regex engine) accepts.
    """
    if not embedded:
        return "the store is a ClickHouse server, which cannot read the collector's block files"
    if redact is None:
        return ""
    if not isinstance(redact, Redactor):
        return "a custom redaction hook runs only in Python"
    for _, pattern in redact.patterns:
        try:
            client.query("SELECT match('', {p:String})", parameters={"p": pattern.pattern})
        except ClickHouseError as error:
            return f"redaction pattern {pattern.pattern!r} is not valid RE2: {error}"
    return ""


def _needs_python(renderer: SqlAttributeRenderer, lists: str, rendered_lists: str) -> str:
    """True when one of the attribute ``lists`` (or their rendered form) is beyond the SQL path."""
    per_list = (
        f"{renderer.nests_too_deep('attrs')} OR {renderer.has_duplicate_keys('attrs')} "
        f"OR {renderer.has_long_keys('attrs')} OR length(attrs) > {MAX_ATTRIBUTES}"
    )
    return (
        f"(arrayExists(attrs -> {per_list}, {lists}) OR arrayExists(list -> "
        f"arrayExists(value -> {renderer.over_length('value')}, list.2), {rendered_lists}))"
    )
