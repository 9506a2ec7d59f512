"""What the UI's tests share: tokens, the demo store's shape, the app, a live server.

    with LiveServer(make_app(demo, tokens=True)) as server:
        page.goto(server.url)
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store

ADMIN_TOKEN = "ui-admin-token"
READER_TOKEN = "ui-reader-token"


@dataclass
class DemoStore:
    store: Store
    url: str
    proposals: list[dict[str, Any]]

    def proposal(self, detector: str) -> dict[str, Any]:
        return next(p for p in self.proposals if p["detector"] == detector)


def make_app(demo: DemoStore, *, tokens: bool) -> FastAPI:
    settings: dict[str, Any] = {"admin_tokens": ADMIN_TOKEN, "reader_tokens": READER_TOKEN}
    config = Settings(clickhouse_url=demo.url, analysis_interval_minutes=0,
                      assembly_interval_seconds=0,  # the demo store is assembled already
                      **(settings if tokens else {}))
    return create_app(config, store=demo.store, analyzer=Analyzer(demo.store))


class LiveServer:
    """The app under a real uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: FastAPI):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)  # uvicorn offers no start event to wait on
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()
