"""Open a ClickHouse client for a gapwatch store URL: embedded chDB or a ClickHouse server.

One code path for both through clickhouse-connect; only construction differs.

    client = connect("chdb:///var/lib/gapwatch/chdb")
    client = connect("http://gapwatch:secret@clickhouse:8123/otel")
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from gapwatch.collector.errors import ConfigurationError

DEFAULT_DATA_DIR = ".gapwatch"
DEFAULT_DATABASE = "default"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreLocation:
    """Where spans live: ``kind`` is ``chdb`` or ``http``/``https``."""

    kind: str
    database: str
    path: str = ""  # chDB data directory
    url: str = ""  # server URL without the database part

    @property
    def embedded(self) -> bool:
        return self.kind == "chdb"

    def redacted(self) -> str:
        """The location for logs, without a password."""
        if self.embedded:
            return f"chdb://{self.path} (database {self.database})"
        parsed = urlparse(self.url)
        host = parsed.hostname or ""
        port = f":{parsed.port}" if parsed.port else ""
        return f"{parsed.scheme}://{host}{port} (database {self.database})"


def default_store_url(data_dir: str | os.PathLike[str] | None = None) -> str:
    """The embedded default: a chDB directory under the data dir."""
    base = Path(data_dir or os.environ.get("GAPWATCH_DATA_DIR") or DEFAULT_DATA_DIR)
    return f"chdb://{(base / 'chdb').resolve()}"


def parse_store_url(url: str) -> StoreLocation:
    """Parse ``chdb:///dir[?database=db]`` or ``http(s)://user:pw@host:port/db``."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "chdb":
        path = unquote(parsed.netloc + parsed.path)
        if not path:
            raise ConfigurationError(f"chDB URL needs a directory: {url!r}")
        database = parse_qs(parsed.query).get("database", [DEFAULT_DATABASE])[0]
        return StoreLocation("chdb", validate_identifier(database), path=path)
    if scheme in ("http", "https"):
        if not parsed.hostname:
            raise ConfigurationError(f"ClickHouse URL needs a host: {url!r}")
        database = unquote(parsed.path.strip("/")) or DEFAULT_DATABASE
        base = parsed._replace(path="", query="", fragment="").geturl()
        return StoreLocation(scheme, validate_identifier(database), url=base)
    raise ConfigurationError(
        f"unsupported store URL scheme {parsed.scheme!r}: use chdb:///dir or http(s)://host:8123/db"
    )


def validate_identifier(name: str) -> str:
    """Return ``name`` if it is a plain ClickHouse identifier, else raise.

    Database, table and cluster names cannot be bound as parameters in DDL, so every one that
    reaches SQL text passes through here first.
    """
    if not _IDENTIFIER.match(name):
        raise ConfigurationError(f"not a plain identifier: {name!r}")
    return name


def connect(location: StoreLocation | str, *, settings: dict[str, Any] | None = None) -> Client:
    """Open a client. The database is created first when it does not exist."""
    if isinstance(location, str):
        location = parse_store_url(location)
    if location.embedded:
        Path(location.path).mkdir(parents=True, exist_ok=True)
        client = clickhouse_connect.get_client(
            dsn=f"chdb://{location.path}", settings=settings or {}
        )
    else:
        parsed = urlparse(location.url)
        client = clickhouse_connect.get_client(
            host=parsed.hostname,
            port=parsed.port or (8443 if location.kind == "https" else 8123),
            username=unquote(parsed.username or "default"),
            password=unquote(parsed.password or ""),
            secure=location.kind == "https",
            # several threads share one client; server-side sessions would serialize them
            autogenerate_session_id=False,
            settings=settings or {},
        )
    if location.database != DEFAULT_DATABASE:
        client.command(f"CREATE DATABASE IF NOT EXISTS `{location.database}`")
    client.database = location.database
    logger.debug("connected to %s", location.redacted())
    return client
