-- Alert (table format): high-priority proposals created in the range and still open.
-- Columns: proposals (UInt64).
SELECT count() AS proposals
FROM gapwatch_proposals FINAL
WHERE priority = 'high' AND status IN ('open', 'reopened') AND $__timeFilter(created_at)
