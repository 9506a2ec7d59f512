-- Deletes the model rows of the batch's traces that were assembled before, so that assembling
-- them again replaces their rows; returns nothing. The time bound lets the engine skip the
-- partitions those traces have no rows in.
-- Parameters: database (Identifier).
DELETE FROM {database:Identifier}.gapwatch_agent_spans
WHERE trace_id IN (
        SELECT trace_id FROM {database:Identifier}.gapwatch_assembly_batch WHERE reassemble)
    AND timestamp >= (
        SELECT min(timestamp) FROM {database:Identifier}.gapwatch_span_facts
        WHERE trace_id IN (
            SELECT trace_id FROM {database:Identifier}.gapwatch_assembly_batch WHERE reassemble))
