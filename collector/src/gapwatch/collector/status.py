"""``google.rpc.Status`` answers shared by the OTLP/HTTP and OTLP/gRPC receivers."""

from __future__ import annotations

from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.duration_pb2 import Duration
from google.rpc import error_details_pb2, status_pb2


def rpc_status(code: int, message: str, retry_after: int | None = None) -> status_pb2.Status:
    """A status; with ``retry_after`` it carries the ``RetryInfo`` OTLP clients back off by."""
    status = status_pb2.Status(code=code, message=message)
    if retry_after is not None:
        detail = AnyMessage()
        detail.Pack(error_details_pb2.RetryInfo(retry_delay=Duration(seconds=retry_after)))
        status.details.append(detail)
    return status
