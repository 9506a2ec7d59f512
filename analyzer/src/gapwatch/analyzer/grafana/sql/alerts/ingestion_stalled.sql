-- Alert (table format): spans stored in the range; zero means ingestion stalled.
-- Columns: spans (UInt64).
SELECT count() AS spans
FROM otel_traces
WHERE $__timeFilter(Timestamp)
