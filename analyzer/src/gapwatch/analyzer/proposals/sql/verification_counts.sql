-- Returns one row: spans and bad-outcome spans of a subject before and after a split time.
-- Parameters: database, service, agent, tool, target_agent, error_type (''= any), span_types,
-- bad_outcomes, before_start, split, after_end.
SELECT
    countIf(timestamp < {split:DateTime64(6, 'UTC')}) AS before_total,
    countIf(timestamp < {split:DateTime64(6, 'UTC')} AND is_bad) AS before_bad,
    countIf(timestamp >= {split:DateTime64(6, 'UTC')}) AS after_total,
    countIf(timestamp >= {split:DateTime64(6, 'UTC')} AND is_bad) AS after_bad
FROM (
    SELECT
        timestamp,
        outcome IN {bad_outcomes:Array(String)}
            AND ({error_type:String} = '' OR error_type = {error_type:String}) AS is_bad
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE timestamp >= {before_start:DateTime64(6, 'UTC')}
      AND timestamp < {after_end:DateTime64(6, 'UTC')}
      AND span_type IN {span_types:Array(String)}
      AND ({service:String} = '' OR service = {service:String})
      AND ({agent:String} = '' OR agent = {agent:String} OR caller_agent = {agent:String})
      AND ({tool:String} = '' OR tool = {tool:String})
      AND ({target_agent:String} = '' OR target_agent = {target_agent:String})
)
