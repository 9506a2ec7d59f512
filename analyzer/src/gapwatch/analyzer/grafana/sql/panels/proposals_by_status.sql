-- Proposals stat: current number of proposals in each status.
-- Columns: status (String), proposals (UInt64).
SELECT status, count() AS proposals
FROM gapwatch_proposals FINAL
WHERE $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
GROUP BY status
ORDER BY proposals DESC
