"""Deadlines for clients that connect and then send slowly, or nothing at all.

Each open connection holds a slot of the listener's concurrency limit; without deadlines a few
hundred sockets that trickle a header, a body or nothing would shut every other client out.

* ``header_s``: from a connection's first moment (or the first byte of a later request on a
  kept-alive connection) until its request head is complete. uvicorn times out only idle
  keep-alive connections, so :func:`guarded_h11_protocol` adds this one. On gRPC it bounds the
  connection handshake.
* ``body_s``: from the request head until the whole body is in (a ``Content-Length`` larger
  than what is sent ends here); the HTTP receiver answers 408 and closes. On gRPC a connection
  is closed ``max_connection_age_s`` after it opened plus ``body_s`` of grace for an RPC that
  is still arriving.
* ``idle_s``: a connection with no request in flight is closed after this.

    timeouts = ClientTimeouts(header_s=10, body_s=60, idle_s=30)
    uvicorn.Config(app, http=guarded_h11_protocol(timeouts.header_s),
                   timeout_keep_alive=timeouts.idle_s)
    grpc.server(executor, options=grpc_connection_options(timeouts))
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class ClientTimeouts:
    header_s: float = 10.0
    body_s: float = 60.0
    idle_s: int = 30  # uvicorn takes whole seconds for its keep-alive timeout
    max_connection_age_s: float = 300.0


def guarded_h11_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request head does not arrive in time."""

    class HeadDeadlineH11Protocol(H11Protocol):
        _head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_deadline()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            # h11 leaves IDLE once a whole request head has been parsed
            if self.conn.their_state is h11.IDLE:
                self._arm_head_deadline()
            else:
                self._disarm_head_deadline()

        def on_response_complete(self) -> None:
            # now idle: uvicorn's keep-alive timeout takes over until the next request begins
            self._disarm_head_deadline()
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_deadline()
            super().connection_lost(exc)

        def _arm_head_deadline(self) -> None:
            if self._head_deadline is None:
                self._head_deadline = self.loop.call_later(header_timeout_s, self._head_too_slow)

        def _disarm_head_deadline(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_too_slow(self) -> None:
            self._head_deadline = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeadDeadlineH11Protocol


def grpc_connection_options(timeouts: ClientTimeouts) -> list[tuple[str, int]]:
    """gRPC core channel arguments bounding how long a connection may stall or idle."""

    def milliseconds(seconds: float) -> int:
        return max(1, math.ceil(seconds * 1000))

    return [
        # TCP accepted but no HTTP/2 preface and settings
        ("grpc.server_handshake_timeout_ms", milliseconds(timeouts.header_s)),
        # no RPC in flight: GOAWAY, then close
        ("grpc.max_connection_idle_ms", milliseconds(timeouts.idle_s)),
        # every connection is recycled; an RPC still receiving gets the body timeout to finish
        ("grpc.max_connection_age_ms", milliseconds(timeouts.max_connection_age_s)),
        ("grpc.max_connection_age_grace_ms", milliseconds(timeouts.body_s)),
    ]
