-- Returns one page of proposals, highest priority first, then newest; keyset-paginated.
-- Parameters: database, statuses, detectors, agents, tools, priorities (empty array = any),
-- has_cursor, cursor_rank, cursor_created (µs since 1970, so any stored time compares), cursor_id,
-- limit.
SELECT
    id, detector, detector_version, type, priority, confidence, status, title, summary, subject,
    evidence, evidence_count, severity, proposed_change, expected_impact, risk, snoozed_until,
    implemented_version, implemented_at, verification, baseline_count, baseline_severity,
    created_at, updated_at
FROM {database:Identifier}.gapwatch_proposals FINAL
WHERE (empty({statuses:Array(String)}) OR status IN {statuses:Array(String)})
  AND (empty({detectors:Array(String)}) OR detector IN {detectors:Array(String)})
  AND (empty({agents:Array(String)}) OR agent IN {agents:Array(String)})
  AND (empty({tools:Array(String)}) OR tool IN {tools:Array(String)})
  AND (empty({priorities:Array(String)}) OR priority IN {priorities:Array(String)})
  AND (
      {has_cursor:UInt8} = 0
      OR indexOf(['high', 'medium', 'low'], priority) > {cursor_rank:UInt8}
      OR (indexOf(['high', 'medium', 'low'], priority) = {cursor_rank:UInt8}
          AND toUnixTimestamp64Micro(created_at) < {cursor_created:Int64})
      OR (indexOf(['high', 'medium', 'low'], priority) = {cursor_rank:UInt8}
          AND toUnixTimestamp64Micro(created_at) = {cursor_created:Int64}
          AND id > {cursor_id:String})
  )
ORDER BY indexOf(['high', 'medium', 'low'], priority), created_at DESC, id
LIMIT {limit:UInt32}
