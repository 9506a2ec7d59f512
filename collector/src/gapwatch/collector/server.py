"""The collector as a running service: storage, WAL, drainer, OTLP/HTTP and OTLP/gRPC listeners.

    server = CollectorServer(CollectorConfig(store_url="chdb:///srv/gapwatch/chdb",
                                             wal_dir=Path("/srv/gapwatch/wal")))
    server.start()          # returns once both listeners accept connections
    ...
    server.stop()           # stops listening, stores the backlog, closes the WAL
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from gapwatch.collector.admission import (
    MemoryAdmission,
    keep_large_buffers_off_the_heap,
    pool_for_budget,
    release_free_memory,
)
from gapwatch.collector.auth import TokenAuthenticator
from gapwatch.collector.client_timeouts import ClientTimeouts, guarded_h11_protocol
from gapwatch.collector.drain import DEFAULT_BATCH_SPANS, WalDrainer
from gapwatch.collector.errors import ConfigurationError
from gapwatch.collector.flatten import AttributeLimits
from gapwatch.collector.metrics import CollectorMetrics
from gapwatch.collector.pipeline import IngestPipeline, IngestPolicy, StorageHealth
from gapwatch.collector.protobuf_insert import ProtobufSpanWriter, protobuf_path_problem
from gapwatch.collector.quarantine import Quarantine
from gapwatch.collector.receiver_grpc import OtlpGrpcReceiver
from gapwatch.collector.receiver_http import OtlpHttpApp
from gapwatch.collector.redaction import Redactor
from gapwatch.collector.schema import SchemaOptions, create_schema
from gapwatch.collector.storage import connect, parse_store_url
from gapwatch.collector.validation import TimePolicy
from gapwatch.collector.wal import WriteAheadLog
from gapwatch.collector.writer import ClickHouseSpanWriter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectorConfig:
    """Everything the collector needs; :mod:`gapwatch.collector.cli` fills it from flags/env.

    Ports 0 pick free ports (see :attr:`CollectorServer.http_port`); a port of -1 disables
    that listener.
    """

    store_url: str
    wal_dir: Path
    host: str = "127.0.0.1"
    http_port: int = 4318
    grpc_port: int = 4317
    ingest_tokens: tuple[str, ...] = ()
    max_body_bytes: int = 20 * 2**20
    max_backlog_bytes: int = 512 * 2**20
    ttl_days: int = 30
    cluster: str = ""
    max_future_skew_s: float = 3600.0
    limits: AttributeLimits = field(default_factory=AttributeLimits)
    redact: bool = True
    redact_keys: tuple[str, ...] = ()
    redact_patterns: tuple[str, ...] = ()
    batch_spans: int = DEFAULT_BATCH_SPANS
    linger_s: float = 0.2
    fsync: bool = True
    # a stored WAL segment is deleted once its first record is this old, even if not full
    wal_segment_max_age_s: float = 60.0
    create_schema: bool = True
    # let chDB parse and flatten OTLP blocks itself (falls back to Python where it cannot)
    clickhouse_parses_otlp: bool = True
    # acknowledged spans storage refuses for their data; default: "quarantine" beside the WAL
    quarantine_dir: Path | None = None
    # deadlines for slow or silent clients on both listeners
    client_timeouts: ClientTimeouts = field(default_factory=ClientTimeouts)
    # the process's target peak memory; what is left once it is loaded bounds data in flight
    memory_budget_bytes: int = 2**30

    @property
    def quarantine_path(self) -> Path:
        return self.quarantine_dir or self.wal_dir.parent / "quarantine"


class CollectorServer:
    def __init__(self, config: CollectorConfig):
        self.config = config
        location = parse_store_url(config.store_url)
        self.metrics = CollectorMetrics()
        self.health = StorageHealth()
        self.client = connect(location)
        if config.create_schema:
            create_schema(
                self.client,
                SchemaOptions(location.database, config.ttl_days, config.cluster),
            )
        self.wal = WriteAheadLog(
            config.wal_dir, fsync=config.fsync, segment_max_age_s=config.wal_segment_max_age_s
        )
        self.quarantine = Quarantine(config.quarantine_path, fsync=config.fsync)
        engine = self.client if location.embedded else None
        # measured here, with the engine loaded: the rest of the budget is for data
        keep_large_buffers_off_the_heap()
        self.admission = MemoryAdmission(pool_for_budget(config.memory_budget_bytes))
        logger.info(
            "memory budget %d MiB: %d MiB for requests in flight and the block being stored",
            config.memory_budget_bytes // 2**20,
            self.admission.pool_bytes // 2**20,
        )
        redact = (
            Redactor.default(config.redact_keys, config.redact_patterns) if config.redact else None
        )
        self.drainer = WalDrainer(
            self.wal,
            ClickHouseSpanWriter(self.client),
            self.health,
            limits=config.limits,
            metrics=self.metrics,
            batch_spans=config.batch_spans,
            linger_s=config.linger_s,
            # redaction happened before the WAL append: both paths store what the WAL holds
            protobuf_writer=self._protobuf_writer(location.embedded),
            quarantine=self.quarantine,
            admission=self.admission,
            release_memory=lambda: release_free_memory(engine),
        )
        policy = IngestPolicy(
            time_policy=TimePolicy(config.max_future_skew_s, config.ttl_days),
            max_backlog_bytes=config.max_backlog_bytes,
            redactor=redact,
        )
        self.pipeline = IngestPipeline(self.wal, self.health, policy, self.metrics)
        health = self.health
        self.metrics.bind_queue(self.wal.backlog, self.wal.size_bytes, lambda: health.available)
        self.metrics.quarantine_entries.set_function(self.quarantine.count)
        admission = self.admission
        self.metrics.memory_in_flight.set_function(lambda: admission.in_flight)
        auth = TokenAuthenticator(config.ingest_tokens)
        self.http_app = OtlpHttpApp(
            self.pipeline,
            auth,
            self.metrics,
            self.readiness,
            config.max_body_bytes,
            quarantine=self.quarantine,
            body_timeout_s=config.client_timeouts.body_s,
            admission=self.admission,
        )
        self.grpc = OtlpGrpcReceiver(
            self.pipeline,
            auth,
            self.metrics,
            config.max_body_bytes,
            timeouts=config.client_timeouts,
            admission=self.admission,
        )
        self._http_server: uvicorn.Server | None = None
        self._http_thread: threading.Thread | None = None
        self.http_port = -1
        self.grpc_port = -1

    def _protobuf_writer(self, embedded: bool) -> ProtobufSpanWriter | None:
        if not self.config.clickhouse_parses_otlp:
            return None
        problem = protobuf_path_problem(self.client, embedded, None)
        if problem:
            logger.info("spans are flattened in Python: %s", problem)
            return None
        return ProtobufSpanWriter(self.client, self.config.wal_dir, self.config.limits, None)

    def start(self, timeout_s: float = 10.0) -> None:
        self.drainer.start()
        if self.config.grpc_port >= 0:
            self.grpc_port = self.grpc.start(self.config.host, self.config.grpc_port)
        if self.config.http_port >= 0:
            self._start_http(timeout_s)
        logger.info(
            "collector listening: OTLP/HTTP %s:%s, OTLP/gRPC %s:%s, storing into %s",
            self.config.host,
            self.http_port,
            self.config.host,
            self.grpc_port,
            parse_store_url(self.config.store_url).redacted(),
        )

    def stop(self, drain_timeout_s: float = 10.0) -> None:
        if self._http_server is not None:
            self._http_server.should_exit = True
        if self._http_thread is not None:
            self._http_thread.join(timeout=10)
        if self.grpc_port >= 0:
            self.grpc.stop()
        self.http_app.close()
        self.drainer.stop(drain_timeout_s)
        self.wal.close()

    def wait_stored(self, timeout_s: float = 30.0) -> bool:
        """Wait until every acknowledged span is in ClickHouse."""
        return self.drainer.wait_idle(timeout_s)

    def readiness(self) -> tuple[bool, str]:
        if not self.health.available:
            return False, f"storage unavailable: {self.health.last_error}"
        wal_problem = self.wal.recheck()
        if wal_problem:
            return False, wal_problem
        if self.pipeline.queue_full():
            return False, "ingest queue is full"
        return True, ""

    def _start_http(self, timeout_s: float) -> None:
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.http_port))
        except OSError as error:
            sock.close()
            raise ConfigurationError(
                f"cannot listen for OTLP/HTTP on {self.config.host}:{self.config.http_port}: "
                f"{error}"
            ) from error
        self.http_port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.http_app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            limit_concurrency=256,  # beyond this uvicorn answers 503: bounded memory
            http=guarded_h11_protocol(self.config.client_timeouts.header_s),
            timeout_keep_alive=self.config.client_timeouts.idle_s,
        )
        self._http_server = uvicorn.Server(config)
        server = self._http_server
        self._http_thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="gapwatch-otlp-http", daemon=True
        )
        self._http_thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if time.monotonic() > deadline or not self._http_thread.is_alive():
                raise RuntimeError("OTLP/HTTP listener did not start")
            time.sleep(0.01)
