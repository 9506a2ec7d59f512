-- Alert (table format): proposals whose verification came out `regressed` in the range.
-- Columns: regressions (UInt64).
SELECT count() AS regressions
FROM gapwatch_proposal_history
WHERE to_status = 'regressed' AND $__timeFilter(at)
