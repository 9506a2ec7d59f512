-- Returns a proposal's audit trail, oldest first.
-- Parameters: database, proposal_id.
SELECT proposal_id, at, from_status, to_status, actor, reason, details
FROM {database:Identifier}.gapwatch_proposal_history
WHERE proposal_id = {proposal_id:String}
ORDER BY at, to_status
