-- Overview bar gauge: open proposals by priority (all time; proposals are the audit record).
-- Columns: priority (String), proposals (UInt64).
SELECT priority, count() AS proposals
FROM gapwatch_proposals FINAL
WHERE status IN ('open', 'reopened')
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
GROUP BY priority
ORDER BY indexOf(['high', 'medium', 'low'], priority)
