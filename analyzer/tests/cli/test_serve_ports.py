"""A port taken between ``serve``'s check and the receiver starting still ends in one line
naming the flags, not a gRPC traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.cli.serve import _start_collector
from gapwatch.analyzer.settings import Settings
from gapwatch.collector.errors import ConfigurationError


def test_receiver_start_names_the_port_flags_when_a_port_was_taken_meanwhile(
    ch_client: Client, store_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = Settings(data_dir=str(tmp_path), clickhouse_url=store_url,
                            otlp_http_port=0, otlp_grpc_port=taken.getsockname()[1])
        with pytest.raises(ConfigurationError) as raised:
            _start_collector(settings)
    message = str(raised.value)
    assert "\n" not in message and "--otlp-grpc-port" in message
