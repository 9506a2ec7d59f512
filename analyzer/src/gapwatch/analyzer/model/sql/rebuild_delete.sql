-- Deletes the model and rollup rows of a period before it is normalized again; returns nothing.
-- Parameters: database (Identifier), since, until (DateTime64(9), whole hours).
DELETE FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
;
DELETE FROM {database:Identifier}.gapwatch_hourly
WHERE hour >= {since:DateTime64(9)} AND hour < {until:DateTime64(9)}
