"""Every operation in the OpenAPI document, called with hostile values in every path, query and
body field: no answer is a 5xx, none carries engine text, and an analysis still runs afterwards
on whatever the calls managed to store. Bounded: derandomized, a fixed number of calls each."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proposal_factories import make_finding

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store

CALLS_PER_OPERATION = 15
BOUNDED = settings(max_examples=CALLS_PER_OPERATION, deadline=None, derandomize=True,
                   database=None, suppress_health_check=list(HealthCheck))
# what an engine error or a stack trace would bring along; no hostile value below contains it
ENGINE_WORDS = ("DB::Exception", "Traceback (most recent call last)")


def _cursor(*position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


HOSTILE_TEXT = [
    "", " ", "'", "\\'", '"', "\\", "' OR 1=1 --", "1; DROP TABLE gapwatch_proposals", "%00",
    "\x00", "a\nb", "\u202e\u0000", "💥" * 40, "x" * 5000, "-1", "0", "2147483648",
    "99999999999999999999999", "1e309", "NaN", "-inf", "null", "true", "[]", "{}",
    "0232-08-08T00:00:00Z", "0001-01-01", "9999-12-31T23:59:59Z", "2030-01-01T00:00:00",
    "../../etc/passwd", "{database:Identifier}", "${cost_per_mtok}", "0m", "7d", "999999w",
    "367d", "open", "open,bogus", "high", "urgent", "tool_failure_hotspot", "0123456789abcdef",
    _cursor(1, -62_135_596_800_000_000, "x"), _cursor(1, 2**63, "x"), _cursor(0, 0, ""),
    _cursor(3, 253_402_300_799_000_000, "\x00"), "e30", "garbage==",
]
TEXT = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))
JSON_VALUE = st.recursive(
    st.one_of(TEXT, st.none(), st.booleans(), st.integers(-(2**70), 2**70),
              st.floats(allow_nan=True, allow_infinity=True)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)


@pytest.fixture
def hostile_client(store: Store, store_url: str) -> Iterator[TestClient]:
    findings = [make_finding(tool="search"), make_finding(tool="fetch", priority="low")]
    app = create_app(
        Settings(clickhouse_url=store_url, analysis_interval_minutes=0), store=store,
        analyzer=Analyzer(store, detect=lambda context: list(findings)),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/api/v1/analyses", json={}).status_code == 200
        yield client


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation)
            for path, item in sorted(schema["paths"].items())
            for method, operation in sorted(item.items())]


def _body_fields(schema: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    refs = [body.get("$ref", "")] + [option.get("$ref", "") for option in body.get("anyOf", [])]
    fields = ["extra"]
    for ref in filter(None, refs):
        model = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        fields += [name for name in model.get("properties", {})]
        fields += [prop.get("alias", "") for prop in model.get("properties", {}).values()]
    return [field for field in fields if field]


HOSTILE_JSON: list[Any] = [*HOSTILE_TEXT, None, True, -(2**70), 2**70, 1.5, [], {}, ["7d"],
                          {"window": "7d"}]


def _check(response: Any, request: tuple[Any, ...]) -> None:
    assert response.status_code < 500, (request, response.text[:500])
    if response.status_code >= 400:
        assert not any(word in response.text for word in ENGINE_WORDS), response.text


def test_no_operation_answers_5xx_when_every_field_is_hostile(
    hostile_client: TestClient,
) -> None:
    client = hostile_client
    schema = client.get("/openapi.json").json()
    real_id = client.get("/api/v1/proposals").json()["proposals"][0]["id"]
    operations = _operations(schema)
    assert len(operations) >= 13
    sent = 0
    for method, path, operation in operations:
        parameters = operation.get("parameters", [])
        in_path = [p["name"] for p in parameters if p["in"] == "path"]
        in_query = [p["name"] for p in parameters if p["in"] == "query"]
        body_fields = _body_fields(schema, operation) if method == "POST" else []
        plain = path
        for name in in_path:
            plain = plain.replace("{" + name + "}", real_id)

        # every hostile value once in every field, the others left out or valid
        for name in in_path:
            for value in HOSTILE_TEXT:
                url = path.replace("{" + name + "}", quote(value, safe="") or "%20")
                for other in in_path:
                    url = url.replace("{" + other + "}", real_id)
                _check(client.request(method, url, json={} if method == "POST" else None),
                       (method, url))
                sent += 1
        for name in in_query:
            for value in HOSTILE_TEXT:
                _check(client.request(method, plain, params={name: value}),
                       (method, plain, name, value))
                sent += 1
        for name in body_fields:
            for value in HOSTILE_JSON:
                _check(client.request(method, plain, json={name: value}),
                       (method, plain, name, value))
                sent += 1

        # then random mixes of hostile values across all fields at once
        _send_mixes(client, method, path, in_path, in_query, body_fields, real_id)
        sent += CALLS_PER_OPERATION
    # whatever the calls stored, the next analysis still runs
    after = client.post("/api/v1/analyses", json={"window": "7d"})
    assert after.status_code == 200, after.text
    assert sent > 1000


def _send_mixes(client: TestClient, method: str, path: str, in_path: list[str],
                in_query: list[str], body_fields: list[str], real_id: str) -> None:
    @BOUNDED
    @given(data=st.data())
    def call(data: st.DataObject) -> None:
        url = path
        for name in in_path:
            value = data.draw(st.one_of(st.just(real_id), TEXT), label=name)
            url = url.replace("{" + name + "}", quote(value, safe="") or "%20")
        query = {name: data.draw(TEXT, label=name) for name in in_query
                 if data.draw(st.booleans(), label=f"send {name}")}
        kwargs: dict[str, Any] = {"params": query}
        if method == "POST":
            body = data.draw(st.one_of(
                st.dictionaries(st.sampled_from(body_fields), JSON_VALUE, max_size=4),
                JSON_VALUE), label="body")
            kwargs["content"] = json.dumps(body)
            kwargs["headers"] = {"content-type": "application/json"}
        _check(client.request(method, url, **kwargs), (method, url, kwargs))

    call()
