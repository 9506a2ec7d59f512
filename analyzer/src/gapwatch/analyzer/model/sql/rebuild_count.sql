-- Returns the number of span facts in a period.
-- Parameters: database (Identifier), since, until (DateTime64(9)).
SELECT count() FROM {database:Identifier}.gapwatch_span_facts
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
