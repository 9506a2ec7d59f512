-- Records the span count each trace of the batch was assembled with; returns nothing.
-- Parameters: database (Identifier), now (DateTime64(3)).
INSERT INTO {database:Identifier}.gapwatch_assembled_traces (trace_id, spans, assembled_at)
SELECT trace_id, spans, {now:DateTime64(3)}
FROM {database:Identifier}.gapwatch_assembly_batch
