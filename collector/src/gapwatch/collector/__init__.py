"""gapwatch collector: an OTLP trace receiver that stores spans in ClickHouse's ``otel_traces``.

    from gapwatch.collector import connect, create_schema, SchemaOptions
    client = connect("chdb:///var/lib/gapwatch/chdb")
    create_schema(client, SchemaOptions(database="default", ttl_days=30))
"""

from gapwatch.collector.client_timeouts import ClientTimeouts
from gapwatch.collector.errors import (
    CollectorError,
    ConfigurationError,
    StorageUnavailable,
    UnstorableData,
)
from gapwatch.collector.flatten import AttributeLimits, flatten_request
from gapwatch.collector.ingest import IngestOptions, ingest_request
from gapwatch.collector.migrations import apply_migrations
from gapwatch.collector.quarantine import Quarantine, QuarantineEntry
from gapwatch.collector.redaction import Redactor
from gapwatch.collector.schema import SchemaOptions, create_schema
from gapwatch.collector.server import CollectorConfig, CollectorServer
from gapwatch.collector.storage import (
    StoreLocation,
    connect,
    default_store_url,
    parse_store_url,
    validate_identifier,
)

__all__ = [
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
