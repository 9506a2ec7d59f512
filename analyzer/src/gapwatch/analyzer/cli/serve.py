"""``gapwatch serve``: the OTLP collector and the analyzer API in one process.

    gapwatch serve                                  # embedded chDB under ./.gapwatch
    gapwatch serve --clickhouse-url http://ch:8123/otel --no-collector --host 0.0.0.0

On the embedded store both must share one process (a chDB directory opens in one process
only); with a ClickHouse server they can also run apart, scaled separately. Every flag also
reads its ``GAPWATCH_*`` variable. ``serve.json`` in the data directory tells local CLI commands
where the API listens while it runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapwatch.analyzer.cli._backend import SERVE_FILE, settings_from, store_key

if TYPE_CHECKING:
    from gapwatch.analyzer.settings import Settings
    from gapwatch.collector.server import CollectorConfig

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the collector and the analyzer API")
    parser.add_argument("--data-dir", help="embedded data and WAL (env GAPWATCH_DATA_DIR)")
    parser.add_argument("--clickhouse-url",
                        help="chdb:///dir or http(s)://… (env GAPWATCH_CLICKHOUSE_URL)")
    parser.add_argument("--host", help="bind address (env GAPWATCH_HOST, default 127.0.0.1)")
    parser.add_argument("--otlp-http-port", type=int, help="env GAPWATCH_OTLP_HTTP_PORT (4318)")
    parser.add_argument("--otlp-grpc-port", type=int, help="env GAPWATCH_OTLP_GRPC_PORT (4317)")
    parser.add_argument("--api-port", type=int, help="env GAPWATCH_API_PORT (8080)")
    parser.add_argument("--analysis-interval-minutes", type=float,
                        help="minutes between analyses, 0 = on demand only "
                             "(env GAPWATCH_ANALYSIS_INTERVAL_MINUTES)")
    parser.add_argument("--no-collector", action="store_true",
                        default=_env_flag("GAPWATCH_NO_COLLECTOR"),
                        help="API and analysis only (env GAPWATCH_NO_COLLECTOR)")
    parser.add_argument("--no-api", action="store_true", default=_env_flag("GAPWATCH_NO_API"),
                        help="collector only (env GAPWATCH_NO_API)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gapwatch.collector.errors import ConfigurationError

    try:
        settings = settings_from(args)
        return serve(settings, collector=not args.no_collector, api=not args.no_api)
    except ConfigurationError as error:
        print(f"gapwatch serve: {error}", file=sys.stderr)
        return 2


def serve(
    settings: Settings, *, collector: bool = True, api: bool = True,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    """Run until SIGINT/SIGTERM; returns the exit status. ``on_ready`` gets the API's URL once
    it is about to accept requests."""
    from gapwatch.collector.errors import ConfigurationError

    if not (collector or api):
        raise ConfigurationError("--no-collector and --no-api leave nothing to run")
    from gapwatch.analyzer.auth import check_exposure

    if api:
        check_exposure(settings)  # before anything listens
    check_ports_free(settings, collector=collector, api=api)
    # uvicorn re-raises the signal it caught once it has shut down; with our own handlers in
    # place that lands here instead of killing the process before the collector drains its WAL
    stop = _Stop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    receiver = _start_collector(settings) if collector else None
    advert = Path(settings.data_dir) / SERVE_FILE
    try:
        if api:
            _run_api(settings, receiver, advert, on_ready, stop)
        else:
            logger.info("collector running; SIGINT or SIGTERM stops it")
            stop.event.wait()
    finally:
        advert.unlink(missing_ok=True)
        if receiver is not None:
            receiver.stop()
        logger.info("gapwatch serve stopped")
    return 0


def check_ports_free(settings: Settings, *, collector: bool, api: bool) -> None:
    """Fail with one line naming the flag to change when a port is taken, before any store is
    opened or server started (gRPC would otherwise answer with a C-core log and a traceback)."""
    from gapwatch.collector.errors import ConfigurationError

    wanted = []
    if collector:
        wanted += [(settings.otlp_http_port, "OTLP/HTTP", "--otlp-http-port"),
                   (settings.otlp_grpc_port, "OTLP/gRPC", "--otlp-grpc-port")]
    if api:
        wanted.append((settings.api_port, "API", "--api-port"))
    for port, purpose, flag in wanted:
        if port <= 0:  # 0 picks a free port, -1 turns the listener off
            continue
        try:
            _listen(settings.host, port).close()
        except ConfigurationError:
            env = "GAPWATCH_" + flag.removeprefix("--").replace("-", "_").upper()
            raise ConfigurationError(
                f"port {port} on {settings.host} ({purpose}) is in use, perhaps by another "
                f"gapwatch serve; choose another with {flag} (env {env})"
            ) from None


def _start_collector(settings: Settings) -> Any:
    from gapwatch.collector.errors import ConfigurationError
    from gapwatch.collector.server import CollectorServer

    server = CollectorServer(collector_config(settings))
    try:
        server.start()
    except (OSError, RuntimeError) as error:  # a port taken since check_ports_free
        server.stop()
        raise ConfigurationError(
            f"the OTLP receiver could not start ({error}); if a port is in use, choose "
            "another with --otlp-http-port / --otlp-grpc-port"
        ) from error
    return server


def collector_config(settings: Settings) -> CollectorConfig:
    """The collector's configuration: its own ``GAPWATCH_*`` settings (limits, redaction,
    schema creation) as ``gapwatch-collector`` reads them, with serve's settings on top."""
    # imported here: every gapwatch command loads this module, few start a collector
    from gapwatch.collector.cli import arguments_from_environment, config_from_arguments

    args = arguments_from_environment()
    args.data_dir = settings.data_dir
    args.clickhouse_url = settings.clickhouse_url
    args.host = settings.host
    args.otlp_http_port = settings.otlp_http_port
    args.otlp_grpc_port = settings.otlp_grpc_port
    args.ingest_tokens = settings.ingest_tokens
    args.ttl_days = settings.ttl_days
    args.cluster = settings.cluster
    return config_from_arguments(args)


class _Stop:
    """The SIGINT/SIGTERM handler until uvicorn installs its own: a signal that comes between
    announcing the URL and uvicorn starting must still stop the server (it was lost before)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.server: Any = None

    def __call__(self, *_: object) -> None:
        self.event.set()
        if self.server is not None:
            self.server.should_exit = True


def _run_api(
    settings: Settings, receiver: Any, advert: Path, on_ready: Callable[[str], None] | None,
    stop: _Stop,
) -> None:
    import uvicorn

    from gapwatch.analyzer.app import create_app
    from gapwatch.analyzer.store import open_store

    sock = _listen(settings.host, settings.api_port)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    # open (and migrate) the store before advertising: clients may come at once
    store = open_store(settings)
    app = create_app(settings, store=store)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           lifespan="on"))
    stop.server = server
    server.should_exit = stop.event.is_set()
    advert.parent.mkdir(parents=True, exist_ok=True)
    advert.write_text(json.dumps({
        "api_url": url, "pid": os.getpid(), "store": store_key(settings.clickhouse_url),
        "otlp_http_port": receiver.http_port if receiver else None,
        "otlp_grpc_port": receiver.grpc_port if receiver else None,
    }))
    logger.info("gapwatch API listening on %s (docs at %s/docs)", url, url)
    if on_ready is not None:
        on_ready(url)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()


def _listen(host: str, port: int) -> socket.socket:
    from gapwatch.collector.errors import ConfigurationError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigurationError(f"cannot listen for the API on {host}:{port}: {error}") from error
    sock.listen(128)
    return sock


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
