from __future__ import annotations

from pathlib import Path

import pytest

from gapwatch.collector import ConfigurationError, default_store_url, parse_store_url


def test_chdb_urls_name_a_directory_and_an_optional_database() -> None:
    location = parse_store_url("chdb:///var/lib/gapwatch/chdb?database=otel")
    assert (location.kind, location.path, location.database) == (
        "chdb",
        "/var/lib/gapwatch/chdb",
        "otel",
    )
    assert location.embedded
    assert parse_store_url("chdb:///x").database == "default"


def test_server_urls_keep_credentials_out_of_logs() -> None:
    location = parse_store_url("https://writer:p%40ss@ch.internal:8443/traces")
    assert (location.kind, location.database) == ("https", "traces")
    assert "p%40ss" not in location.redacted() and "writer" not in location.redacted()
    assert location.redacted() == "https://ch.internal:8443 (database traces)"


@pytest.mark.parametrize(
    "url",
    [
        "postgres://x/y",
        "chdb://",
        "http:///db",
        "http://host:8123/bad-name",
        "chdb:///d?database=a;b",
    ],
)
def test_malformed_store_urls_fail_fast(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_store_url(url)


def test_default_store_is_chdb_under_the_data_dir(tmp_path: Path) -> None:
    assert default_store_url(tmp_path) == f"chdb://{tmp_path.resolve() / 'chdb'}"
