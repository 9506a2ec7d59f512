-- Deletes the span facts of a period before its spans are normalized again; returns nothing.
-- The traces are then assembled again (their rows replaced) by the next assembly pass.
-- Parameters: database (Identifier), since, until (DateTime64(9)).
DELETE FROM {database:Identifier}.gapwatch_span_facts
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
