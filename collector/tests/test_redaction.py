from __future__ import annotations

import httpx
import pytest

from gapwatch.collector.redaction import REDACTED, Redactor
from gapwatch.collector.testing import make_request, make_span

SECRETS = {
    "openai": "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "github": "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "email": "jane.doe@example.org",
    "bearer": "Bearer abcdef0123456789abcdef",
    "custom": "ACME-7f3a9c2e",
}


def test_seeded_secrets_never_reach_the_table(make_server) -> None:
    server = make_server(redact_keys=("x-internal-key",), redact_patterns=(r"ACME-[0-9a-f]{8}",))
    span = make_span(
        "redaction",
        attributes={
            **{f"text.{name}": f"before {value} after" for name, value in SECRETS.items()},
            "http.request.header.authorization": "opaque-value",
            "db.password": "hunter2",
            "x-internal-key": "value-with-no-shape",
            "gen_ai.usage.input_tokens": 1234,
            "nested": {"inner": [SECRETS["email"], {"deep": SECRETS["openai"]}]},
        },
        status_message=f"failed for {SECRETS['email']}",
    )
    span.events.add(name="exception", time_unix_nano=span.start_time_unix_nano).attributes.add(
        key="exception.message"
    ).value.string_value = f"token {SECRETS['jwt']} rejected"
    body = make_request([span], resource={"deployment.owner": SECRETS["email"]})
    response = httpx.post(
        f"http://127.0.0.1:{server.http_port}/v1/traces",
        content=body.SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
        timeout=30,
    )
    assert response.status_code == 200
    assert server.wait_stored(20)
    # scan every column of every row as text
    text = server.client.raw_query("SELECT * FROM otel_traces FORMAT TabSeparated").decode()
    assert "redaction" in text
    for name, value in SECRETS.items():
        secret_part = value.split(" ")[-1]
        assert secret_part not in text, f"{name} leaked"
    for leaked in ("opaque-value", "hunter2", "value-with-no-shape"):
        assert leaked not in text
    (attributes,) = server.client.query("SELECT SpanAttributes FROM otel_traces").result_rows[0]
    assert attributes["gen_ai.usage.input_tokens"] == "1234"  # counts are not credentials
    assert attributes["text.email"] == "before [REDACTED:email] after"
    assert attributes["db.password"] == REDACTED


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("note", "call me at a@b.io", "call me at [REDACTED:email]"),
        ("Authorization", "anything", REDACTED),
        ("gen_ai.usage.output_tokens", "99", "99"),
        ("plain", "nothing secret here", "nothing secret here"),
        ("empty.secret", "", ""),
    ],
)
def test_redactor_rules(key: str, value: str, expected: str) -> None:
    assert Redactor.default()(key, value) == expected
