-- Demo: the proposals to print after the analysis, highest priority first. No parameters.
-- Columns: priority, detector, title, evidence_count, status, subject (JSON).
SELECT priority, detector, title, evidence_count, status, subject
FROM gapwatch_proposals FINAL
ORDER BY indexOf(['high', 'medium', 'low'], priority), evidence_count DESC, detector, title
