-- Tools table: the most frequent error fingerprints, with a sample trace to open.
-- Columns: tool, outcome, error_type, error_fingerprint (String), calls, sessions (UInt64),
-- last_seen (DateTime64), TraceId (String).
SELECT
    tool,
    outcome,
    error_type,
    if(error_fingerprint != '', error_fingerprint, blocked_reason) AS error_fingerprint,
    count() AS calls,
    uniqExact(session_id) AS sessions,
    max(timestamp) AS last_seen,
    argMax(trace_id, timestamp) AS TraceId
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool' AND outcome != 'ok'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY tool, outcome, error_type, error_fingerprint
ORDER BY calls DESC
LIMIT 50
