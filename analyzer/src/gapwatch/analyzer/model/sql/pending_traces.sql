-- Fills gapwatch_assembly_batch with the traces to assemble: those with spans arrived in
-- (since, until] and none after until (still arriving), whose span count differs from their last
-- assembly; reassemble marks the ones assembled before. Returns nothing.
-- Parameters: database (Identifier), since, until (DateTime64(3)).
INSERT INTO {database:Identifier}.gapwatch_assembly_batch (trace_id, spans, reassemble)
SELECT a.trace_id, a.spans, b.spans > 0
FROM (
    SELECT trace_id, sum(spans) AS spans
    FROM {database:Identifier}.gapwatch_trace_arrivals
    WHERE trace_id IN (
        SELECT trace_id FROM {database:Identifier}.gapwatch_trace_arrivals
        WHERE arrived_at > {since:DateTime64(3)} AND arrived_at <= {until:DateTime64(3)})
    GROUP BY trace_id
    HAVING max(arrived_at) <= {until:DateTime64(3)}
) AS a
LEFT JOIN (
    SELECT trace_id, spans
    FROM {database:Identifier}.gapwatch_assembled_traces FINAL
    WHERE trace_id IN (
        SELECT trace_id FROM {database:Identifier}.gapwatch_trace_arrivals
        WHERE arrived_at > {since:DateTime64(3)} AND arrived_at <= {until:DateTime64(3)})
) AS b ON a.trace_id = b.trace_id
WHERE a.spans != b.spans
SETTINGS join_use_nulls = 0
