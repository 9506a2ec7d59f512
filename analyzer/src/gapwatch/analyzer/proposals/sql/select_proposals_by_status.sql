-- Returns every proposal in one of the given statuses (the analysis' follow-up work list).
-- Parameters: database, statuses.
SELECT
    id, detector, detector_version, type, priority, confidence, status, title, summary, subject,
    evidence, evidence_count, severity, proposed_change, expected_impact, risk, snoozed_until,
    implemented_version, implemented_at, verification, baseline_count, baseline_severity,
    created_at, updated_at
FROM {database:Identifier}.gapwatch_proposals FINAL
WHERE status IN {statuses:Array(String)}
ORDER BY id
