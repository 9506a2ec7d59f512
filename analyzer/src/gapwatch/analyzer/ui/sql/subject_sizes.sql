-- Returns a tool's calls as (input size, timed out) points, newest first, for the scatter chart.
-- Parameters: database, since, until, service, agent, tool, limit.
SELECT input_size, outcome = 'timeout' AS timed_out
FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(6, 'UTC')} AND timestamp < {until:DateTime64(6, 'UTC')}
  AND span_type = 'tool' AND input_size > 0
  AND ({service:String} = '' OR service = {service:String})
  AND ({agent:String} = '' OR agent = {agent:String})
  AND tool = {tool:String}
ORDER BY timestamp DESC
LIMIT {limit:UInt32}
