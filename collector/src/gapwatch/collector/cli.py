"""``gapwatch-collector``: run the OTLP receiver alone (when the analyzer runs elsewhere).

Every flag also reads ``GAPWATCH_<FLAG>`` (e.g. ``--otlp-http-port`` ← ``GAPWATCH_OTLP_HTTP_PORT``).

    gapwatch-collector --clickhouse-url http://ingest:pw@clickhouse:8123/otel --host 0.0.0.0
    gapwatch-collector quarantine --data-dir /srv/gapwatch   # spans storage refused, as JSON lines
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from gapwatch.collector.client_timeouts import ClientTimeouts
from gapwatch.collector.errors import CollectorError
from gapwatch.collector.quarantine import Quarantine
from gapwatch.collector.server import CollectorConfig, CollectorServer
from gapwatch.collector.storage import default_store_url

logger = logging.getLogger(__name__)


def add_collector_arguments(parser: argparse.ArgumentParser) -> None:
    """The collector's flags, shared with ``gapwatch serve``."""
    env = os.environ.get
    parser.add_argument(
        "--data-dir",
        default=env("GAPWATCH_DATA_DIR", ".gapwatch"),
        help="embedded store and write-ahead log (default .gapwatch)",
    )
    parser.add_argument(
        "--clickhouse-url",
        default=env("GAPWATCH_CLICKHOUSE_URL", ""),
        help="chdb:///dir or http(s)://user:pw@host:8123/db",
    )
    parser.add_argument(
        "--host", default=env("GAPWATCH_HOST", "127.0.0.1"), help="bind address (default loopback)"
    )
    parser.add_argument(
        "--otlp-http-port", type=int, default=int(env("GAPWATCH_OTLP_HTTP_PORT", "4318"))
    )
    parser.add_argument(
        "--otlp-grpc-port", type=int, default=int(env("GAPWATCH_OTLP_GRPC_PORT", "4317"))
    )
    parser.add_argument("--ttl-days", type=int, default=int(env("GAPWATCH_TTL_DAYS", "30")))
    parser.add_argument("--cluster", default=env("GAPWATCH_CLUSTER", ""))
    parser.add_argument(
        "--ingest-tokens",
        default=env("GAPWATCH_INGEST_TOKENS", ""),
        help="comma-separated bearer tokens required for ingest",
    )
    parser.add_argument(
        "--max-body-mib", type=float, default=float(env("GAPWATCH_MAX_BODY_MIB", "20"))
    )
    parser.add_argument(
        "--max-backlog-mib", type=float, default=float(env("GAPWATCH_MAX_BACKLOG_MIB", "512"))
    )
    parser.add_argument(
        "--max-future-skew-s", type=float, default=float(env("GAPWATCH_MAX_FUTURE_SKEW_S", "3600"))
    )
    parser.add_argument(
        "--redact-keys",
        default=env("GAPWATCH_REDACT_KEYS", ""),
        help="extra comma-separated attribute keys whose values are secrets",
    )
    parser.add_argument(
        "--redact-patterns",
        default=env("GAPWATCH_REDACT_PATTERNS", ""),
        help="extra regular expressions of secrets, separated by ';;'",
    )
    parser.add_argument(
        "--no-redact", action="store_true", default=env("GAPWATCH_NO_REDACT", "") == "1"
    )
    parser.add_argument(
        "--no-create-schema",
        action="store_true",
        default=env("GAPWATCH_CREATE_SCHEMA", "1") == "0",
        help="only insert; the schema is managed elsewhere (gapwatch init-db)",
    )
    parser.add_argument(
        "--wal-segment-max-age-s",
        type=float,
        default=float(env("GAPWATCH_WAL_SEGMENT_MAX_AGE_S", "60")),
        help="delete stored write-ahead-log segments once they are this old, even if not full",
    )
    parser.add_argument(
        "--memory-budget-mib",
        type=float,
        default=float(env("GAPWATCH_MEMORY_BUDGET_MIB", "1024")),
        help="target peak memory; requests beyond what is left for data get 429 (default 1024)",
    )
    parser.add_argument(
        "--client-header-timeout-s",
        type=float,
        default=float(env("GAPWATCH_CLIENT_HEADER_TIMEOUT_S", "10")),
        help="close a connection whose request head (gRPC: handshake) is not in by then",
    )
    parser.add_argument(
        "--client-body-timeout-s",
        type=float,
        default=float(env("GAPWATCH_CLIENT_BODY_TIMEOUT_S", "60")),
        help="answer 408 and close when a request body is not in by then",
    )
    parser.add_argument(
        "--client-idle-timeout-s",
        type=int,
        default=int(env("GAPWATCH_CLIENT_IDLE_TIMEOUT_S", "30")),
        help="close a connection with no request in flight after this many seconds",
    )
    parser.add_argument(
        "--python-flatten",
        action="store_true",
        default=env("GAPWATCH_PYTHON_FLATTEN", "") == "1",
        help="flatten every span in Python instead of letting embedded chDB parse OTLP",
    )


def arguments_from_environment() -> argparse.Namespace:
    """The collector's settings as its flags would give them, from ``GAPWATCH_*`` only.

    ``gapwatch serve`` starts from these, so both commands map settings to a
    :class:`CollectorConfig` the same way.
    """
    parser = argparse.ArgumentParser(add_help=False)
    add_collector_arguments(parser)
    return parser.parse_args([])


def config_from_arguments(args: argparse.Namespace) -> CollectorConfig:
    data_dir = Path(args.data_dir)
    return CollectorConfig(
        store_url=args.clickhouse_url or default_store_url(data_dir),
        wal_dir=data_dir / "wal",
        host=args.host,
        http_port=args.otlp_http_port,
        grpc_port=args.otlp_grpc_port,
        ingest_tokens=_split(args.ingest_tokens, ","),
        max_body_bytes=int(args.max_body_mib * 2**20),
        max_backlog_bytes=int(args.max_backlog_mib * 2**20),
        ttl_days=args.ttl_days,
        cluster=args.cluster,
        max_future_skew_s=args.max_future_skew_s,
        redact=not args.no_redact,
        redact_keys=_split(args.redact_keys, ","),
        redact_patterns=_split(args.redact_patterns, ";;"),
        create_schema=not args.no_create_schema,
        clickhouse_parses_otlp=not args.python_flatten,
        memory_budget_bytes=int(args.memory_budget_mib * 2**20),
        client_timeouts=ClientTimeouts(
            header_s=args.client_header_timeout_s,
            body_s=args.client_body_timeout_s,
            idle_s=args.client_idle_timeout_s,
        ),
        wal_segment_max_age_s=args.wal_segment_max_age_s,
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["quarantine"]:
        return list_quarantine(arguments[1:])
    parser = argparse.ArgumentParser(
        prog="gapwatch-collector", description="OTLP trace receiver writing ClickHouse otel_traces"
    )
    add_collector_arguments(parser)
    args = parser.parse_args(arguments)
    logging.basicConfig(
        level=os.environ.get("GAPWATCH_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        server = CollectorServer(config_from_arguments(args))
        server.start()
    except CollectorError as error:
        logger.error("cannot start: %s", error)
        return 2
    wait_for_termination()
    server.stop()
    return 0


def list_quarantine(argv: Sequence[str]) -> int:
    """``gapwatch-collector quarantine``: one JSON object a line, newest first, no payloads."""
    parser = argparse.ArgumentParser(
        prog="gapwatch-collector quarantine",
        description="list acknowledged spans that storage refused for their data",
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("GAPWATCH_DATA_DIR", ".gapwatch"),
        help="the collector's data directory (default .gapwatch)",
    )
    parser.add_argument("--limit", type=int, default=100, help="newest entries to list")
    args = parser.parse_args(argv)
    directory = Path(args.data_dir) / "quarantine"
    if not directory.is_dir():
        print(f"no quarantine under {args.data_dir}", file=sys.stderr)
        return 0
    for entry in Quarantine(directory).entries(args.limit):
        print(json.dumps(entry.summary()))
    return 0


def wait_for_termination() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def _split(raw: str, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(separator) if part.strip())


if __name__ == "__main__":
    sys.exit(main())
