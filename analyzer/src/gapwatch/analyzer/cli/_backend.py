"""Where CLI commands send their work: a running gapwatch API, or the store itself.

    backend = open_backend(args)
    backend.list_proposals({"status": "open"})

A chDB directory opens in one process only, so when ``gapwatch serve`` holds it the CLI goes
through its API (found from ``--api-url``, ``GAPWATCH_API_URL`` or the ``serve.json`` that
``serve`` leaves in the data directory); with no server answering, it opens the store directly.
Both backends return the API's JSON shapes, so output code is shared.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from gapwatch.analyzer.analysis import run_to_dict
from gapwatch.analyzer.errors import AnalyzerError
from gapwatch.analyzer.proposals.lifecycle import Action
from gapwatch.analyzer.proposals.repository import ProposalFilter
from gapwatch.analyzer.proposals.serialize import proposal_to_dict
from gapwatch.analyzer.proposals.service import ProposalService
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
    def close(self) -> None: ...


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where to find gapwatch")
    group.add_argument("--api-url", help="a running gapwatch API (env GAPWATCH_API_URL)")
    group.add_argument("--token", help="bearer token for the API (env GAPWATCH_API_TOKEN)")
    group.add_argument("--data-dir", help="embedded data directory (env GAPWATCH_DATA_DIR)")
    group.add_argument("--clickhouse-url", help="store URL (env GAPWATCH_CLICKHOUSE_URL)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    """Settings from the environment, overridden by the flags that were given."""
    names = ("data_dir", "clickhouse_url", "api_url", "host", "api_port", "otlp_http_port",
             "otlp_grpc_port", "analysis_interval_minutes")
    overrides = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    if getattr(args, "token", None):
        overrides["api_token"] = args.token
    return Settings(**overrides, **extra)


def open_backend(args: argparse.Namespace) -> Backend:
    settings = settings_from(args)
    url = settings.api_url or _advertised_url(settings)
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
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.description = f"API {url}"
        self._client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=300)

    def reachable(self) -> bool:
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

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
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
        body: dict[str, Any] = response.json()
        return body


class StoreBackend:
    def __init__(self, settings: Settings):
        from gapwatch.analyzer.app import build_analyzer
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
        def values(name: str) -> tuple[str, ...]:
            return tuple(v for v in str(params.get(name) or "").split(",") if v)

        where = ProposalFilter(values("status"), values("detector"), values("agent"),
                               values("tool"), values("priority"))
        page = self._guard(lambda: self.service.page(
            where, limit=int(params.get("limit") or 50), cursor=params.get("cursor") or None))
        return {"proposals": [proposal_to_dict(p) for p in page.proposals],
                "next_cursor": page.next_cursor}

    def show(self, proposal_id: str) -> dict[str, Any]:
        proposal, history = self._guard(lambda: self.service.get(proposal_id))
        return proposal_to_dict(proposal, history)

    def act(self, proposal_id: str, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        until, shipped = body.get("until"), body.get("at")
        self._guard(lambda: self.service.act(
            proposal_id, Action(action), actor=str(body.get("actor") or _local_actor()),
            reason=str(body.get("reason") or ""), version=str(body.get("version") or ""),
            until=_moment(until) if until else None,
            shipped_at=_moment(shipped) if shipped else None,
        ))
        return self.show(proposal_id)

    def analyze(self, window: str, dry_run: bool) -> dict[str, Any]:
        analyzer = self._build_analyzer(self.settings, self.store)
        return run_to_dict(self._guard(lambda: analyzer.run(window=window, dry_run=dry_run)))

    def close(self) -> None:
        self.store.close()

    @staticmethod
    def _guard(call: Any) -> Any:
        try:
            return call()
        except AnalyzerError as error:
            raise CliError(f"{error.title}: {error}") from error


def _advertised_url(settings: Settings) -> str:
    """The API URL a local ``gapwatch serve`` wrote into the data directory, if any."""
    path = Path(settings.data_dir) / SERVE_FILE
    try:
        advertised = json.loads(path.read_text())
    except (OSError, ValueError):
        return ""
    return str(advertised.get("api_url") or "")


def _moment(text: str) -> datetime:
    """An ISO date or time from the command line; naive values are taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CliError(f"not an ISO date or time: {text!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local_actor() -> str:
    return f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"
