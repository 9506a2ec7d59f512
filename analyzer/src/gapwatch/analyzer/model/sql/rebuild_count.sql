-- Returns the number of model rows in a period.
-- Parameters: database (Identifier), since, until (DateTime64(9)).
SELECT count() FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
