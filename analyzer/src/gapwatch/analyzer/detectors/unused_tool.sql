-- Returns tools offered to the model in tool definitions (at least min_offers times) but called at most max_call_rate per offer: offers and calls only, the screening pass (most offered first).
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_offers, max_findings (UInt32), max_call_rate (Float64).
WITH calls AS (
    SELECT service, tool, count() AS calls
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('tool', 'delegation') AND tool != ''
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, tool
)
SELECT o.service AS service, o.tool AS tool, o.count AS count, c.calls AS calls
FROM (
    SELECT service, offered AS tool, count() AS count
    FROM {database:Identifier}.gapwatch_agent_spans
    ARRAY JOIN offered_tools AS offered
    WHERE span_type IN ('llm', 'agent') AND notEmpty(offered_tools)
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, offered
    HAVING count >= {min_offers:UInt32}
) AS o
LEFT JOIN calls AS c ON c.service = o.service AND c.tool = o.tool
WHERE c.calls <= o.count * {max_call_rate:Float64}
ORDER BY count DESC, service, tool
LIMIT {max_findings:UInt32}
