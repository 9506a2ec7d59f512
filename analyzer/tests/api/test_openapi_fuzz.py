"""Property-based tests over the OpenAPI document (schemathesis): no 5xx, answers match the
schema, and no mutation without an admin token. Bounded: a few derandomized examples each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from proposal_factories import make_finding

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store

ADMIN = "admin-token-123"
READER = "reader-token-456"
BOUNDED = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))

# checks that judge one response. Left out: positive_data_acceptance (an opaque cursor, a
# "0m" window or a snooze in the past fit the schema yet are refused with a 400 problem) and
# the checks that send requests of their own through schemathesis' transport.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _app(store: Store, store_url: str) -> Iterator[FastAPI]:
    findings = [make_finding(tool="search"), make_finding(tool="fetch", priority="low")]
    app = create_app(
        Settings(clickhouse_url=store_url, analysis_interval_minutes=0, admin_tokens=ADMIN,
                 reader_tokens=READER),
        store=store, analyzer=Analyzer(store, detect=lambda context: list(findings)),
    )
    # the lifespan runs once here; schemathesis' own clients then share app.state
    with TestClient(app) as client:
        client.post("/api/v1/analyses", json={}, headers={"Authorization": f"Bearer {ADMIN}"})
        yield app


@pytest.fixture
def fuzz_app(store: Store, store_url: str) -> Iterator[FastAPI]:
    yield from _app(store, store_url)


def _operations(app: FastAPI, method: str | None = None) -> list[Any]:
    # schemathesis' pytest plugin does not support this pytest; drive its strategies directly
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    if method:
        schema = schema.include(method=method)
    return [result.ok() for result in schema.get_all_operations()]


def test_api_conforms_to_its_schema_when_called_as_admin(fuzz_app: FastAPI) -> None:
    operations = _operations(fuzz_app)
    client = TestClient(fuzz_app, raise_server_exceptions=False)
    # every operation the API documents is fuzzed: none silently left out of the schema walk
    documented = sum(len(methods) for methods in fuzz_app.openapi()["paths"].values())
    assert len(operations) == documented >= 16
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            headers = {"Authorization": f"Bearer {ADMIN}"}
            case.validate_response(_send(client, case, headers), headers=headers, checks=CHECKS)

        check()


def test_no_mutation_without_an_admin_token(fuzz_app: FastAPI, store: Store) -> None:
    before = _state(store)
    operations = _operations(fuzz_app, "POST")
    client = TestClient(fuzz_app, raise_server_exceptions=False)
    assert len(operations) == 5
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            anonymous = _send(client, case, {})
            assert anonymous.status_code in (401, 422), anonymous.text
            reader = _send(client, case, {"Authorization": f"Bearer {READER}"})
            assert reader.status_code in (403, 422), reader.text

        check()
    assert _state(store) == before


def _send(client: TestClient, case: schemathesis.Case, headers: dict[str, str]) -> Any:
    """Send a generated case through httpx (schemathesis' own transport does not work with the
    installed urllib3), returning the httpx response schemathesis validates."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    body = {k: kwargs[k] for k in ("json", "data", "content") if kwargs.get(k) is not None}
    if "data" in body and isinstance(body["data"], (bytes, str)):
        body = {"content": body["data"]}
    return client.request(kwargs["method"], kwargs["url"], headers=kwargs.get("headers"),
                           params=kwargs.get("params"), **body)


def _state(store: Store) -> tuple[Any, ...]:
    db = store.database
    return (
        store.client.command(f"SELECT count() FROM {db}.gapwatch_proposal_history"),
        store.client.command(f"SELECT count() FROM {db}.gapwatch_analysis_runs"),
        store.client.command(f"SELECT groupArray(status) FROM "
                             f"(SELECT status FROM {db}.gapwatch_proposals FINAL ORDER BY id)"),
    )
