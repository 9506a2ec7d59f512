"""Slow and silent clients are cut off on both listeners, over raw sockets against real servers:
slow headers, slow body, a Content-Length larger than the body, idle keep-alive, a gRPC
connection that never handshakes, idles, or trickles a message."""

from __future__ import annotations

import socket
import struct
import time

import httpx
import pytest

from gapwatch.collector import CollectorServer
from gapwatch.collector.client_timeouts import ClientTimeouts
from gapwatch.collector.testing import make_request, make_span

TIMEOUTS = ClientTimeouts(header_s=1.0, body_s=1.0, idle_s=1, max_connection_age_s=2.0)
SLACK_S = 3.0  # scheduling on a busy 2-core CI machine


@pytest.fixture
def guarded(make_server) -> CollectorServer:  # type: ignore[no-untyped-def]
    server: CollectorServer = make_server(client_timeouts=TIMEOUTS)
    return server


def open_socket(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.settimeout(15)
    return sock


def seconds_until_closed(sock: socket.socket, trickle: bytes = b"", every_s: float = 0.2) -> float:
    """Keep sending ``trickle`` (one byte at a time) until the server closes; returns the time."""
    began = time.monotonic()
    sock.settimeout(every_s if trickle else 15)
    received = b""
    while time.monotonic() - began < 20:
        try:
            chunk = sock.recv(65536)
            if not chunk:
                return time.monotonic() - began
            received += chunk
        except TimeoutError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - began
        if trickle:
            try:
                sock.sendall(trickle[:1])
            except (ConnectionResetError, BrokenPipeError):
                return time.monotonic() - began
            trickle = trickle[1:] or trickle
    raise AssertionError(f"still open after 20 s; received {received[:200]!r}")


def read_response_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_silent_http_connection_is_closed_after_the_header_timeout(guarded) -> None:
    with open_socket(guarded.http_port) as sock:
        elapsed = seconds_until_closed(sock)
    assert TIMEOUTS.header_s * 0.8 <= elapsed <= TIMEOUTS.header_s + SLACK_S


def test_headers_trickled_byte_by_byte_are_cut_off(guarded) -> None:
    with open_socket(guarded.http_port) as sock:
        sock.sendall(b"POST /v1/traces HTTP/1.1\r\n")
        elapsed = seconds_until_closed(sock, trickle=b"X-Slow: " + b"a" * 1000)
    assert elapsed <= TIMEOUTS.header_s + SLACK_S


def head(length: int) -> bytes:
    return (
        b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
        + f"Content-Length: {length}\r\n\r\n".encode()
    )


def test_a_body_shorter_than_its_content_length_gets_408_and_a_close(guarded) -> None:
    with open_socket(guarded.http_port) as sock:
        began = time.monotonic()
        sock.sendall(head(1000) + b"0123456789")
        response = read_response_head(sock)
        assert response.startswith(b"HTTP/1.1 408"), response
        assert b"connection: close" in response.lower()
        seconds_until_closed(sock)
        elapsed = time.monotonic() - began
    assert TIMEOUTS.body_s * 0.8 <= elapsed <= TIMEOUTS.body_s + SLACK_S


def test_a_body_trickled_byte_by_byte_is_cut_off(guarded) -> None:
    with open_socket(guarded.http_port) as sock:
        sock.sendall(head(100_000))
        elapsed = seconds_until_closed(sock, trickle=b"b" * 100_000)
    assert elapsed <= TIMEOUTS.body_s + SLACK_S


def test_an_idle_keep_alive_connection_is_closed(guarded) -> None:
    with open_socket(guarded.http_port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response_head(sock).startswith(b"HTTP/1.1 200")
        elapsed = seconds_until_closed(sock)
    assert TIMEOUTS.idle_s * 0.8 <= elapsed <= TIMEOUTS.idle_s + SLACK_S


def test_prompt_clients_are_not_affected(guarded) -> None:
    body = make_request([make_span("prompt")]).SerializeToString()
    with httpx.Client(base_url=f"http://127.0.0.1:{guarded.http_port}", timeout=10) as client:
        for _ in range(3):  # one kept-alive connection, requests within the idle timeout
            response = client.post(
                "/v1/traces", content=body, headers={"content-type": "application/x-protobuf"}
            )
            assert response.status_code == 200
    assert guarded.wait_stored(20)


# --- gRPC: HTTP/2 frames written by hand --------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack(">I", stream)
        + payload
    )


def literal_header(name: str, value: str) -> bytes:
    # HPACK literal without indexing, new name, no Huffman (RFC 7541 §6.2.2); short strings
    return b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()


def handshake(sock: socket.socket) -> None:
    sock.sendall(PREFACE + frame(4, 0, 0))  # our SETTINGS
    sock.settimeout(5)
    sock.recv(65536)  # the server's SETTINGS
    sock.sendall(frame(4, 1, 0))  # ACK them, so nothing but our deadlines ends the connection


def test_a_grpc_connection_that_never_handshakes_is_closed(guarded) -> None:
    with open_socket(guarded.grpc_port) as sock:
        elapsed = seconds_until_closed(sock)
    assert elapsed <= TIMEOUTS.header_s + SLACK_S


def test_an_idle_grpc_connection_is_closed(guarded) -> None:
    with open_socket(guarded.grpc_port) as sock:
        handshake(sock)
        elapsed = seconds_until_closed(sock)
    assert elapsed <= TIMEOUTS.idle_s + SLACK_S


def test_a_grpc_message_trickled_slowly_is_cut_off(guarded) -> None:
    headers = b"".join(
        literal_header(name, value)
        for name, value in (
            (":method", "POST"),
            (":scheme", "http"),
            (":path", "/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
            (":authority", "127.0.0.1"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        )
    )
    with open_socket(guarded.grpc_port) as sock:
        handshake(sock)
        sock.sendall(frame(1, 0x4, 1, headers))  # HEADERS, END_HEADERS
        # a message announced as 1000 bytes, of which a few arrive and then nothing more
        sock.sendall(frame(0, 0, 1, b"\x00" + struct.pack(">I", 1000) + b"0123456789"))
        elapsed = seconds_until_closed(sock)
    assert elapsed <= TIMEOUTS.max_connection_age_s + TIMEOUTS.body_s + SLACK_S
