-- Report: proposals that are not rejected, highest priority first. No parameters.
-- Columns: see SELECT (evidence and verification are JSON strings).
SELECT id, detector, priority, confidence, status, title, summary, agent, tool, target_agent,
       evidence, evidence_count, proposed_change, expected_impact, risk, implemented_version,
       verification, updated_at
FROM gapwatch_proposals FINAL
WHERE status != 'rejected'
ORDER BY indexOf(['high', 'medium', 'low'], priority), evidence_count DESC
LIMIT 100
