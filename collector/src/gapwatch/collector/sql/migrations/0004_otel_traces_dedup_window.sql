-- gapwatch's one addition to the upstream table: remember recent insert tokens so a batch that
-- is written again (WAL replay after a crash, a retried request) is stored once. Replicated
-- engines deduplicate by default, so this is skipped for them. Placeholders: database, on_cluster.
ALTER TABLE `${database}`.`otel_traces` ${on_cluster}
    MODIFY SETTING non_replicated_deduplication_window = 10000
;
-- The lookup view's target deduplicates the same blocks (min/max would absorb a repeat anyway).
ALTER TABLE `${database}`.`otel_traces_trace_id_ts` ${on_cluster}
    MODIFY SETTING non_replicated_deduplication_window = 10000
