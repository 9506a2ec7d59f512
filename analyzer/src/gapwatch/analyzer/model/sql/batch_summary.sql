-- Returns the size of the assembly batch: traces, spans, traces assembled before.
-- Parameters: database (Identifier).
SELECT count() AS traces, sum(spans) AS spans, countIf(reassemble) AS reassembled
FROM {database:Identifier}.gapwatch_assembly_batch
