import gapwatch.collector


def test_public_api_is_the_documented_list() -> None:
    assert gapwatch.collector.__all__ == [
        "AttributeLimits",
        "ClientTimeouts",
        "CollectorConfig",
        "CollectorError",
        "CollectorServer",
        "ConfigurationError",
        "IngestOptions",
        "Quarantine",
        "QuarantineEntry",
        "Redactor",
        "SchemaOptions",
        "StorageUnavailable",
        "StoreLocation",
        "UnstorableData",
        "apply_migrations",
        "connect",
        "create_schema",
        "default_store_url",
        "flatten_request",
        "ingest_request",
        "parse_store_url",
        "validate_identifier",
    ]
    for name in gapwatch.collector.__all__:
        assert getattr(gapwatch.collector, name) is not None
