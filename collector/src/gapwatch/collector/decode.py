"""Decode an OTLP/HTTP trace request body: content encoding, size caps, protobuf or JSON.

    request = decode_request(body, content_type="application/json", content_encoding="gzip",
                             max_bytes=20 * 2**20)

Errors are :class:`DecodeError` subclasses that carry the HTTP status to answer with.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.errors import CollectorError

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
SUPPORTED_CONTENT_TYPES = (PROTOBUF, JSON)
_CHUNK = 64 * 1024


class DecodeError(CollectorError):
    """The body cannot be turned into a request; ``status`` is the HTTP answer."""

    status = 400


class UnsupportedMediaType(DecodeError):
    status = 415


class PayloadTooLarge(DecodeError):
    status = 413


def media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return content_type.split(";", 1)[0].strip().lower()


def decompress(
    body: bytes,
    content_encoding: str,
    max_bytes: int,
    on_output: Callable[[int], None] | None = None,
) -> bytes:
    """Undo ``Content-Encoding``, never producing more than ``max_bytes`` (bomb-safe).

    ``on_output`` hears of every piece of output before the next is made, with its size; it may
    raise to stop (the memory admission does, when the output no longer fits its budget)."""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity", "none"):
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"body of {len(body)} bytes exceeds the {max_bytes}-byte limit")
        return body
    grown = on_output or _ignore
    if encoding in ("gzip", "x-gzip"):
        return _inflate(body, zlib.MAX_WBITS | 16, max_bytes, grown)
    if encoding == "deflate":
        return _inflate(body, zlib.MAX_WBITS, max_bytes, grown)
    if encoding == "zstd":
        return _unzstd(body, max_bytes, grown)
    raise UnsupportedMediaType(f"unsupported Content-Encoding {content_encoding!r}")


def decode_request(
    body: bytes, content_type: str, content_encoding: str = "", max_bytes: int = 20 * 2**20
) -> ExportTraceServiceRequest:
    kind = media_type(content_type)
    if kind not in SUPPORTED_CONTENT_TYPES:
        raise UnsupportedMediaType(
            f"unsupported Content-Type {content_type!r}; use {PROTOBUF} or {JSON}"
        )
    raw = decompress(body, content_encoding, max_bytes)
    if kind == PROTOBUF:
        return parse_protobuf(raw)
    return parse_json(raw)


def parse_protobuf(raw: bytes) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(raw)
    except ProtobufDecodeError as error:
        raise DecodeError(f"malformed protobuf ExportTraceServiceRequest: {error}") from None
    return request


def parse_json(raw: bytes) -> ExportTraceServiceRequest:
    """The OTLP JSON mapping: hex ids, integer enums, unknown fields ignored."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise DecodeError(f"malformed JSON: {error}") from None
    except RecursionError:
        raise DecodeError("malformed JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise DecodeError("malformed JSON: the body must be an ExportTraceServiceRequest object")
    try:
        _hex_ids_to_base64(document)
        request = ExportTraceServiceRequest()
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ProtobufDecodeError, TypeError, AttributeError) as error:
        raise DecodeError(f"invalid OTLP JSON: {error}") from None
    except RecursionError:
        raise DecodeError("invalid OTLP JSON: attribute values nested too deeply") from None
    return request


def _hex_ids_to_base64(document: dict[str, Any]) -> None:
    # OTLP JSON carries ids as hex; protobuf's JSON parser expects base64 for bytes fields.
    # A malformed id becomes empty, so validation rejects just that span (partial success).
    for resource_spans in _objects(document.get("resourceSpans")):
        for scope_spans in _objects(resource_spans.get("scopeSpans")):
            for span in _objects(scope_spans.get("spans")):
                for key in ("traceId", "spanId", "parentSpanId"):
                    _convert_id(span, key)
                for link in _objects(span.get("links")):
                    _convert_id(link, "traceId")
                    _convert_id(link, "spanId")


def _objects(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DecodeError("invalid OTLP JSON: expected a list")
    return [item for item in value if isinstance(item, dict)]


def _convert_id(holder: dict[str, Any], key: str) -> None:
    value = holder.get(key)
    if value is None:
        return
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    holder[key] = base64.b64encode(raw).decode("ascii")


def _ignore(size: int) -> None:
    pass


def _inflate(body: bytes, wbits: int, max_bytes: int, grown: Callable[[int], None]) -> bytes:
    """Inflate every member: RFC 1952 lets a gzip body be several members back to back (and
    clients and proxies send them), so a member's end starts the next one. ``max_bytes``
    bounds the total, so many small members cannot add up to a bomb."""
    several_members = wbits > zlib.MAX_WBITS  # the gzip wrapper; zlib/deflate has one stream
    inflater = zlib.decompressobj(wbits)
    output = bytearray()
    view = memoryview(body)
    try:
        for start in range(0, len(body), _CHUNK):
            chunk: bytes = bytes(view[start : start + _CHUNK])
            while chunk:
                if inflater.eof:
                    if not chunk.strip(b"\0"):
                        break  # zero padding after the last member, as gzip(1) tolerates
                    if not several_members:
                        raise DecodeError("malformed compressed body: data after the stream")
                    inflater = zlib.decompressobj(wbits)
                # max_length bounds each step, so a bomb is detected before it is inflated
                piece = inflater.decompress(chunk, max_bytes + 1 - len(output))
                grown(len(piece))
                output += piece
                if len(output) > max_bytes:
                    raise PayloadTooLarge(f"decompressed body exceeds the {max_bytes}-byte limit")
                # past a member's end the rest of the chunk is the next member
                chunk = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
        output += inflater.flush()
    except zlib.error as error:
        raise DecodeError(f"malformed compressed body: {error}") from None
    if len(output) > max_bytes:
        raise PayloadTooLarge(f"decompressed body exceeds the {max_bytes}-byte limit")
    if not inflater.eof:
        raise DecodeError("malformed compressed body: truncated stream")
    return bytes(output)


def _unzstd(body: bytes, max_bytes: int, grown: Callable[[int], None]) -> bytes:
    try:
        import zstandard
    except ImportError:
        raise UnsupportedMediaType("Content-Encoding zstd needs the zstandard package") from None
    reader = zstandard.ZstdDecompressor().stream_reader(body)
    output = bytearray()
    try:
        while chunk := reader.read(_CHUNK):
            grown(len(chunk))
            output += chunk
            if len(output) > max_bytes:
                raise PayloadTooLarge(f"decompressed body exceeds the {max_bytes}-byte limit")
    except zstandard.ZstdError as error:
        raise DecodeError(f"malformed zstd body: {error}") from None
    return bytes(output)
