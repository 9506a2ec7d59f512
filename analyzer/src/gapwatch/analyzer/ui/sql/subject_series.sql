-- Returns a proposal subject's calls and failures per time bucket (the proposal page's chart).
-- Parameters: database, since, until, bucket_s, span_type, service, agent, tool, target_agent.
SELECT
    toStartOfInterval(timestamp, toIntervalSecond({bucket_s:UInt32})) AS bucket,
    count() AS calls,
    countIf(outcome != 'ok') AS failures
FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(6, 'UTC')} AND timestamp < {until:DateTime64(6, 'UTC')}
  AND span_type = {span_type:String}
  -- an empty subject field means "any": a proposal about an agent names no tool
  AND ({service:String} = '' OR service = {service:String})
  AND ({agent:String} = '' OR agent = {agent:String})
  AND ({tool:String} = '' OR tool = {tool:String})
  AND ({target_agent:String} = '' OR target_agent = {target_agent:String})
GROUP BY bucket
ORDER BY bucket
