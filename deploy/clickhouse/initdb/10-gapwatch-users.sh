#!/bin/bash
# Least-privilege ClickHouse users for gapwatch, run once by the clickhouse-server image on an
# empty data directory (files in /docker-entrypoint-initdb.d). CLICKHOUSE_USER is the admin the
# image creates; `gapwatch init-db` runs as that admin and owns all DDL.
#   ingest   - the collectors: insert spans (and the rows the materialized views derive)
#   analyzer - the API/scheduler: read everything, write proposals and analysis runs
#   reader   - Grafana and people: read-only, may still raise max_execution_time
set -euo pipefail

db="${GAPWATCH_DATABASE:-otel}"
: "${GAPWATCH_INGEST_PASSWORD:?set GAPWATCH_INGEST_PASSWORD}"
: "${GAPWATCH_ANALYZER_PASSWORD:?set GAPWATCH_ANALYZER_PASSWORD}"
: "${GAPWATCH_READER_PASSWORD:?set GAPWATCH_READER_PASSWORD}"

# only hex digests reach the SQL text, so no password needs quoting
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
ingest="$(sha "${GAPWATCH_INGEST_PASSWORD}")"
analyzer="$(sha "${GAPWATCH_ANALYZER_PASSWORD}")"
reader="$(sha "${GAPWATCH_READER_PASSWORD}")"

clickhouse client --user "${CLICKHOUSE_USER}" --password "${CLICKHOUSE_PASSWORD}" \
    --multiquery <<SQL
CREATE DATABASE IF NOT EXISTS \`${db}\`;

CREATE SETTINGS PROFILE IF NOT EXISTS gapwatch_readonly
    SETTINGS readonly = 1, max_execution_time = 60 CHANGEABLE_IN_READONLY;

CREATE USER IF NOT EXISTS gapwatch_ingest IDENTIFIED WITH sha256_hash BY '${ingest}';
CREATE USER IF NOT EXISTS gapwatch_analyzer IDENTIFIED WITH sha256_hash BY '${analyzer}';
CREATE USER IF NOT EXISTS gapwatch_reader IDENTIFIED WITH sha256_hash BY '${reader}'
    SETTINGS PROFILE gapwatch_readonly;

-- start-up check of applied migrations (a no-op once init-db has run)
GRANT SELECT, INSERT, CREATE TABLE ON \`${db}\`.gapwatch_schema_migrations
    TO gapwatch_ingest, gapwatch_analyzer;
GRANT INSERT ON \`${db}\`.otel_traces TO gapwatch_ingest;
-- the views an insert fires may run with the inserting user's rights
GRANT SELECT ON \`${db}\`.otel_traces TO gapwatch_ingest;
GRANT INSERT ON \`${db}\`.otel_traces_trace_id_ts TO gapwatch_ingest;
GRANT INSERT ON \`${db}\`.gapwatch_span_feed TO gapwatch_ingest;
GRANT INSERT ON \`${db}\`.gapwatch_span_conventions TO gapwatch_ingest;
GRANT INSERT ON \`${db}\`.gapwatch_span_facts TO gapwatch_ingest;
GRANT INSERT ON \`${db}\`.gapwatch_trace_arrivals TO gapwatch_ingest;

GRANT SELECT ON \`${db}\`.* TO gapwatch_analyzer;
GRANT INSERT ON \`${db}\`.gapwatch_proposals TO gapwatch_analyzer;
GRANT INSERT ON \`${db}\`.gapwatch_proposal_history TO gapwatch_analyzer;
GRANT INSERT ON \`${db}\`.gapwatch_proposal_exports TO gapwatch_analyzer;
GRANT INSERT ON \`${db}\`.gapwatch_analysis_runs TO gapwatch_analyzer;
-- trace assembly writes the model and its own bookkeeping, and replaces re-assembled traces
GRANT INSERT, ALTER DELETE ON \`${db}\`.gapwatch_agent_spans TO gapwatch_analyzer;
GRANT INSERT, TRUNCATE ON \`${db}\`.gapwatch_assembly_batch TO gapwatch_analyzer;
GRANT INSERT ON \`${db}\`.gapwatch_assembled_traces TO gapwatch_analyzer;
GRANT INSERT ON \`${db}\`.gapwatch_assembly_state TO gapwatch_analyzer;

GRANT SELECT ON \`${db}\`.* TO gapwatch_reader;
SQL
