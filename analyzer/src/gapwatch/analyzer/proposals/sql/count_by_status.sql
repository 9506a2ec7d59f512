-- Returns the number of proposals per status (for /metrics).
-- Parameters: database.
SELECT status, count() AS proposals
FROM {database:Identifier}.gapwatch_proposals FINAL
GROUP BY status
