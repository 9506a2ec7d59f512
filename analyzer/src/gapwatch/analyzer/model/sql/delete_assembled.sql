-- Deletes the model rows (of gapwatch_agent_spans or gapwatch_agent_runs) of the batch's traces
-- that were assembled before, so that assembling them again replaces their rows; returns
-- nothing. The time bound lets the engine skip the partitions those traces have no rows in.
-- Parameters: database, table (Identifier).
DELETE FROM {database:Identifier}.{table:Identifier}
WHERE trace_id IN (
        SELECT trace_id FROM {database:Identifier}.gapwatch_assembly_batch WHERE reassemble)
    AND timestamp >= (
        SELECT min(timestamp) FROM {database:Identifier}.gapwatch_span_facts
        WHERE trace_id IN (
            SELECT trace_id FROM {database:Identifier}.gapwatch_assembly_batch WHERE reassemble))
