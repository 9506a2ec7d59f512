"""Where CLI commands send their work: a running gapwatch API, or the store itself.

    backend = open_backend(args)
    backend.list_proposals({"status": "open"})

A chDB directory opens in one process only, so when ``gapwatch serve`` holds it the CLI goes
through its API (found from ``--api-url``, ``GAPWATCH_API_URL`` or the ``serve.json`` that
``serve`` leaves in the data directory); with no server answering, it opens the store directly.
A store named with ``--clickhouse-url`` (or ``GAPWATCH_CLICKHOUSE_URL``) is never swapped for
another: ``serve.json`` is followed then only when that server runs on the same store.
Both backends return the API's JSON shapes, so output code is shared.

Heavy modules (the analyzer, httpx, the ClickHouse client) are imported where they are used:
every command's parser is built for ``gapwatch --help``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

if TYPE_CHECKING:
    from gapwatch.analyzer.settings import Settings

SERVE_FILE = "serve.json"

# one INFO line per HTTP request would drown the command's own output
logging.getLogger("httpx").setLevel(logging.WARNING)


class CliError(Exception):
    """A failure to show the user as one line, without a traceback."""


class Backend(Protocol):
    description: str

    def list_proposals(self, params: Mapping[str, Any]) -> dict[str, Any]: ...
    def show(self, proposal_id: str) -> dict[str, Any]: ...
    def act(self, proposal_id: str, action: str, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def analyze(self, window: str, dry_run: bool) -> dict[str, Any]: ...
    def report(self, window: str, fmt: str) -> str: ...
    def close(self) -> None: ...


def add_connection_arguments(parser: argparse.ArgumentParser, *, json_output: bool = True) -> None:
    group = parser.add_argument_group("where to find gapwatch")
    group.add_argument("--api-url", help="a running gapwatch API (env GAPWATCH_API_URL)")
    group.add_argument("--token", help="bearer token for the API (env GAPWATCH_API_TOKEN)")
    group.add_argument("--data-dir", help="embedded data directory (env GAPWATCH_DATA_DIR)")
    group.add_argument("--clickhouse-url", help="store URL (env GAPWATCH_CLICKHOUSE_URL)")
    if json_output:
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    """Settings from the environment, overridden by the flags that were given."""
    from gapwatch.analyzer.settings import Settings

    names = ("data_dir", "clickhouse_url", "api_url", "host", "api_port", "otlp_http_port",
             "otlp_grpc_port", "analysis_interval_minutes")
    overrides = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    if getattr(args, "token", None):
        overrides["api_token"] = args.token
    return Settings(**overrides, **extra)


def open_backend(args: argparse.Namespace) -> Backend:
    from gapwatch.collector.errors import ConfigurationError

    try:
        settings = settings_from(args)
    except (ConfigurationError, ValueError) as error:
        raise CliError(str(error).splitlines()[0]) from error
    explicit_store = bool(getattr(args, "clickhouse_url", None)
                          or os.environ.get("GAPWATCH_CLICKHOUSE_URL"))
    url = settings.api_url or _advertised_url(settings, explicit_store)
    if url:
        api = ApiBackend(url, settings.api_token)
        if api.reachable():
            return api
        api.close()
        if settings.api_url:
            raise CliError(f"no gapwatch API answers at {url}")
    return StoreBackend(settings)


class ApiBackend:
    def __init__(self, url: str, token: str = ""):
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.description = f"API {url}"
        self._client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=300)

    def reachable(self) -> bool:
        import httpx

        try:
            return self._client.get("/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def list_proposals(self, params: Mapping[str, Any]) -> dict[str, Any]:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        return self._call("GET", "/api/v1/proposals", params=query)

    def show(self, proposal_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/proposals/{proposal_id}")

    def act(self, proposal_id: str, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = {k: v for k, v in body.items() if v not in (None, "")}
        return self._call("POST", f"/api/v1/proposals/{proposal_id}/{action}", json=payload)

    def analyze(self, window: str, dry_run: bool) -> dict[str, Any]:
        return self._call("POST", "/api/v1/analyses", json={"window": window, "dry_run": dry_run})

    def report(self, window: str, fmt: str) -> str:
        text: str = self._send("GET", "/api/v1/report",
                               params={"window": window, "format": fmt}).text
        return text

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._send(method, path, **kwargs).json()
        return body

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise CliError(f"{self.description}: {error}") from error
        if response.is_error:
            try:
                problem = response.json()
                message = f"{problem.get('title')}: {problem.get('detail')}"
            except ValueError:
                message = response.text[:200]
            raise CliError(f"HTTP {response.status_code} {message}")
        return response


class StoreBackend:
    def __init__(self, settings: Settings):
        from gapwatch.analyzer.app import build_analyzer
        from gapwatch.analyzer.proposals.service import ProposalService
        from gapwatch.analyzer.store import open_store

        try:
            self.store = open_store(settings)
        except Exception as error:
            raise CliError(
                f"cannot open {settings.clickhouse_url} ({error}); if `gapwatch serve` holds it, "
                "pass --api-url"
            ) from error
        self.description = f"store {settings.clickhouse_url}"
        self.service = ProposalService(self.store)
        self.settings = settings
        self._build_analyzer = build_analyzer

    def list_proposals(self, params: Mapping[str, Any]) -> dict[str, Any]:
        from gapwatch.analyzer.proposals.repository import ProposalFilter
        from gapwatch.analyzer.proposals.serialize import proposal_to_dict

        def values(name: str) -> tuple[str, ...]:
            return tuple(v for v in str(params.get(name) or "").split(",") if v)

        where = ProposalFilter(values("status"), values("detector"), values("agent"),
                               values("tool"), values("priority"))
        page = self._guard(lambda: self.service.page(
            where, limit=int(params.get("limit") or 50), cursor=params.get("cursor") or None))
        return {"proposals": [proposal_to_dict(p) for p in page.proposals],
                "next_cursor": page.next_cursor}

    def show(self, proposal_id: str) -> dict[str, Any]:
        from gapwatch.analyzer.proposals.serialize import proposal_to_dict

        proposal, history = self._guard(lambda: self.service.get(proposal_id))
        return proposal_to_dict(proposal, history)

    def act(self, proposal_id: str, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        from gapwatch.analyzer.proposals.lifecycle import Action

        until, shipped = body.get("until"), body.get("at")
        self._guard(lambda: self.service.act(
            proposal_id, Action(action), actor=str(body.get("actor") or local_actor()),
            reason=str(body.get("reason") or ""), version=str(body.get("version") or ""),
            until=_moment(until) if until else None,
            shipped_at=_moment(shipped) if shipped else None,
        ))
        return self.show(proposal_id)

    def analyze(self, window: str, dry_run: bool) -> dict[str, Any]:
        from gapwatch.analyzer.analysis import run_to_dict

        analyzer = self._build_analyzer(self.settings, self.store)
        return run_to_dict(self._guard(lambda: analyzer.run(window=window, dry_run=dry_run)))

    def report(self, window: str, fmt: str) -> str:
        from gapwatch.analyzer.report import collect_report, render_html, render_markdown
        from gapwatch.analyzer.routes.report import trace_link_template
        from gapwatch.analyzer.windows import parse_window

        def collect() -> Any:
            parse_window(window)
            with self.store.session() as client:
                return collect_report(client, window.strip())

        data = self._guard(collect)
        # no server to show a trace unless one is configured to be reachable
        link = trace_link_template(self.settings.public_url) if self.settings.public_url else None
        return (render_html(data, trace_link=link) if fmt == "html"
                else render_markdown(data, trace_link=link))

    def close(self) -> None:
        self.store.close()

    @staticmethod
    def _guard(call: Any) -> Any:
        from gapwatch.analyzer.errors import AnalyzerError

        try:
            return call()
        except AnalyzerError as error:
            raise CliError(f"{error.title}: {error}") from error


def _advertised_url(settings: Settings, explicit_store: bool) -> str:
    """The API URL a local ``gapwatch serve`` wrote into the data directory, if any; when the
    user named a store, only if that server runs on the same store."""
    path = Path(settings.data_dir) / SERVE_FILE
    try:
        advertised = json.loads(path.read_text())
    except (OSError, ValueError):
        return ""
    if explicit_store and advertised.get("store") != store_key(settings.clickhouse_url):
        return ""
    return str(advertised.get("api_url") or "")


def server_holding(store_url: str, *data_dirs: str | Path) -> dict[str, Any] | None:
    """What a live ``gapwatch serve`` advertised if it holds the embedded store ``store_url``
    (any database in that chDB directory: the directory is what one process locks), else None.
    Looks for ``serve.json`` in ``data_dirs`` and beside the chDB directory."""
    from gapwatch.collector.errors import ConfigurationError
    from gapwatch.collector.storage import parse_store_url

    try:
        wanted = parse_store_url(store_url)
    except ConfigurationError:
        return None
    if not wanted.embedded:
        return None
    chdb_dir = Path(wanted.path).resolve()
    for folder in {Path(d).resolve() for d in (*data_dirs, chdb_dir.parent)}:
        try:
            advert = json.loads((folder / SERVE_FILE).read_text())
            held = parse_store_url(str(advert.get("store") or ""))
        except (OSError, ValueError, ConfigurationError):
            continue
        if held.embedded and Path(held.path).resolve() == chdb_dir and _alive(advert.get("pid")):
            return dict(advert)
    return None


def store_key(url: str) -> str:
    """The store a URL names, spelled one way and without credentials: what ``serve.json``
    records, so a command can tell whether the running server holds the store it was given."""
    from gapwatch.collector.errors import ConfigurationError
    from gapwatch.collector.storage import parse_store_url

    try:
        where = parse_store_url(url)
    except ConfigurationError:
        return ""
    if where.embedded:
        return f"chdb://{Path(where.path).resolve()}?database={where.database}"
    parsed = urlparse(where.url)
    port = parsed.port or (443 if parsed.scheme == "https" else 8123)
    return f"{parsed.scheme}://{(parsed.hostname or '').lower()}:{port}/{where.database}"


def _moment(text: str) -> datetime:
    """An ISO date or time from the command line; naive values are taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CliError(f"not an ISO date or time: {text!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _alive(pid: Any) -> bool:
    """Whether a process with this id runs (a crashed server leaves a stale serve.json)."""
    try:
        os.kill(int(pid), 0)
    except (TypeError, ValueError, ProcessLookupError):
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def local_actor() -> str:
    """Who the audit trail names for a decision made at this terminal."""
    return f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"

