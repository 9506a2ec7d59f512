-- Delegations node graph, edges frame: caller → callee with volume and failure rate.
-- Columns: id, source, target (String), mainstat (UInt64), secondarystat (Float64).
SELECT
    concat(caller_agent, '->', target_agent) AS id,
    caller_agent AS source,
    target_agent AS target,
    count() AS mainstat,
    countIf(outcome != 'ok') / mainstat AS secondarystat
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'delegation'
  AND caller_agent != '' AND target_agent != ''
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(caller_agent IN (${agent:singlequote}) OR target_agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY caller_agent, target_agent
ORDER BY id
