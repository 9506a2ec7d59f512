-- Delegations time series: delegations per interval, ok versus failed.
-- Columns: time (DateTime), ok, failed (UInt64).
SELECT
    $__timeInterval(timestamp) AS time,
    countIf(outcome = 'ok') AS ok,
    countIf(outcome != 'ok') AS failed
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'delegation'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(caller_agent IN (${agent:singlequote}) OR target_agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY time
ORDER BY time
