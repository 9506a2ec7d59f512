-- Returns where a proposal was exported to a target (at most one row).
-- Parameters: database, proposal_id, target.
SELECT proposal_id, target, external_id, url, created_at
FROM {database:Identifier}.gapwatch_proposal_exports FINAL
WHERE proposal_id = {proposal_id:String} AND target = {target:String}
LIMIT 1
