-- Returns the assembly watermark (arrivals up to it have been taken) and the engine's clock.
-- Parameters: database (Identifier).
SELECT
    max(watermark) AS since,
    now64(3) AS now
FROM {database:Identifier}.gapwatch_assembly_state FINAL
WHERE name = 'watermark'
