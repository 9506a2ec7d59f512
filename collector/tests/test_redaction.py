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


@pytest.mark.parametrize(
    "key",
    [
        "token",
        "auth_token",
        "x-auth-token",
        "id_token",
        "session_token",
        "sessionToken",
        "pwd",
        "passphrase",
        "credentials",
        "private-key",
        "api.key",
        "apiKey",
        "AWS_SECRET_ACCESS_KEY",
        "http.request.header.cookie",
        "db.connection_string",
    ],
)
def test_keys_naming_a_secret_by_their_words_are_redacted(key: str) -> None:
    assert Redactor.default()(key, "opaque-value") == REDACTED


@pytest.mark.parametrize(
    "key",
    [
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "max_tokens",
        "gen_ai.request.max_tokens",
        "token_count",
        "llm.token_count.prompt",
        "gen_ai.token.type",
        "tokenizer",
        "cache.key",
        "user.email_verified",
    ],
)
def test_keys_that_only_look_like_secrets_are_kept(key: str) -> None:
    assert Redactor.default()(key, "1234 plain") == "1234 plain"


def test_extra_keys_match_as_word_sequences() -> None:
    redactor = Redactor.default(extra_keys=("x-internal-key",))
    assert redactor("app.X_Internal.Key", "v") == REDACTED
    assert redactor("internal.key", "v") == "v"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv", "11ABCDEFG0123456789"),
        ("GET https://x.io/login?user=bob&password=hunter2&next=/", "hunter2"),
        ("GET https://x.io/login?user=bob&pwd=hunter3", "hunter3"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ("header=Authorization%3A%20Bearer%20abcdef0123456789xyz", "abcdef0123456789xyz"),
        ("next=%2Fcb%3Fkey%3Dzz9secretvalue", "zz9secretvalue"),
        ("q=api_key%3Dzz8secretvalue", "zz8secretvalue"),
        ('{"password": "correct horse battery"}', "correct horse"),
        ("postgres://admin:s3cr3tpw@db.internal:5432/app", "s3cr3tpw"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "MIIEpQIBAAKCAQEA",
        ),
        ("stripe sk_live_0123456789abcdefABCD", "0123456789abcdefABCD"),
    ],
)
def test_secret_patterns_in_text(text: str, secret: str) -> None:
    redacted = Redactor.default().text(text)
    assert secret not in redacted and "[REDACTED:" in redacted


@pytest.mark.parametrize(
    "text",
    [
        "Basic Configuration",
        "a basic information page",
        "used 1200 tokens of max_tokens=4096",
        "the token count was 5",
        "sort key: timestamp",
        "https://example.org/search?q=otel&page=2",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor.default().text(text) == text
