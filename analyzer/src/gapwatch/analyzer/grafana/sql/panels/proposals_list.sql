-- Proposals table: every proposal with its evidence summary and first sample trace.
-- Columns: id, priority, status, detector, title, agent, tool (String), evidence_count (UInt64),
-- confidence (Float64), updated_at (DateTime64), TraceId (String).
SELECT
    id,
    priority,
    status,
    detector,
    title,
    agent,
    tool,
    evidence_count,
    confidence,
    updated_at,
    JSONExtractString(evidence, 'traces', 1) AS TraceId
FROM gapwatch_proposals FINAL
WHERE $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
ORDER BY indexOf(['high', 'medium', 'low'], priority), updated_at DESC
LIMIT 500
