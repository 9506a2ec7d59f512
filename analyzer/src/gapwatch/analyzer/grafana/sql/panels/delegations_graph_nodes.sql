-- Delegations node graph, nodes frame: one node per agent with its delegated volume.
-- Columns: id, title (String), mainstat (UInt64), secondarystat (Float64),
-- arc__ok, arc__failed (Float64 fractions).
SELECT
    agent AS id,
    agent AS title,
    count() AS mainstat,
    countIf(outcome != 'ok') / mainstat AS secondarystat,
    countIf(outcome = 'ok') / mainstat AS arc__ok,
    countIf(outcome != 'ok') / mainstat AS arc__failed
FROM
(
    SELECT target_agent AS agent, outcome
    FROM gapwatch_agent_spans
    WHERE $__timeFilter(timestamp) AND span_type = 'delegation'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(caller_agent IN (${agent:singlequote}) OR target_agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
    UNION ALL
    SELECT caller_agent AS agent, outcome
    FROM gapwatch_agent_spans
    WHERE $__timeFilter(timestamp) AND span_type = 'delegation'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(caller_agent IN (${agent:singlequote}) OR target_agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
)
WHERE agent != ''
GROUP BY agent
ORDER BY agent
