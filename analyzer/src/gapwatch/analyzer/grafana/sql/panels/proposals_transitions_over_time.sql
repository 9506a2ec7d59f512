-- Proposals time series: lifecycle transitions per interval (opened, approved, verified, ...).
-- Columns: time (DateTime), opened, approved, implemented, verified, regressed (UInt64).
SELECT
    $__timeInterval(at) AS time,
    countIf(to_status IN ('open', 'reopened')) AS opened,
    countIf(to_status = 'approved') AS approved,
    countIf(to_status = 'implemented') AS implemented,
    countIf(to_status = 'verified') AS verified,
    countIf(to_status = 'regressed') AS regressed
FROM gapwatch_proposal_history
WHERE $__timeFilter(at)
GROUP BY time
ORDER BY time
