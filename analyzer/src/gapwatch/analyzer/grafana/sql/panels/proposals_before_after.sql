-- Proposals table: before/after of implemented proposals, from the recorded verification.
-- Columns: id, title, status, implemented_version, metric (String), before, after,
-- change (Float64), implemented_at (DateTime64).
SELECT
    id,
    title,
    status,
    implemented_version,
    JSONExtractString(verification, 'metric') AS metric,
    JSONExtractFloat(verification, 'before') AS before,
    JSONExtractFloat(verification, 'after') AS after,
    after - before AS change,
    implemented_at
FROM gapwatch_proposals FINAL
WHERE status IN ('implemented', 'verified', 'regressed')
ORDER BY implemented_at DESC
LIMIT 200
