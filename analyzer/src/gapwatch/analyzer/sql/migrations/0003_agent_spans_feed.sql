-- Creates gapwatch_span_feed and the view that forwards every span inserted into otel_traces
-- to it. Placeholders: database, on_cluster.
--
-- Why a Null "feed" table: the normalization is written once (model/sql, views created by
-- 0004). The view on otel_traces only forwards raw columns into the feed; the views on the feed
-- normalize, and a backfill or rebuild inserts stored rows into the same feed, so live spans and
-- old spans go through the very same SQL. A Null table stores nothing; it only passes blocks on.
-- (This migration first also held a span-local normalization view; 0004 drops it where it ran.)
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_span_feed` ${on_cluster} (
    `Timestamp` DateTime64(9),
    `TraceId` String,
    `SpanId` String,
    `ParentSpanId` String,
    `SpanName` LowCardinality(String),
    `SpanKind` LowCardinality(String),
    `ServiceName` LowCardinality(String),
    `ResourceAttributes` Map(LowCardinality(String), String),
    `SpanAttributes` Map(LowCardinality(String), String),
    `Duration` UInt64,
    `StatusCode` LowCardinality(String),
    `StatusMessage` String,
    `Events.Timestamp` Array(DateTime64(9)),
    `Events.Name` Array(LowCardinality(String)),
    `Events.Attributes` Array(Map(LowCardinality(String), String))
) ENGINE = Null
;
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`gapwatch_span_feed_mv` ${on_cluster}
TO `${database}`.`gapwatch_span_feed` AS
SELECT
    Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, SpanAttributes, Duration, StatusCode, StatusMessage,
    `Events.Timestamp`, `Events.Name`, `Events.Attributes`
FROM `${database}`.`otel_traces`
