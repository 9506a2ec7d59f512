-- Empties gapwatch_assembly_batch before a pass fills it; returns nothing.
-- Parameters: database (Identifier).
TRUNCATE TABLE {database:Identifier}.gapwatch_assembly_batch
