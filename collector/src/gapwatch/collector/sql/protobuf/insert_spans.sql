-- The spans of one OTLP ExportTraceServiceRequest (a WAL block), parsed by ClickHouse's Protobuf
-- input, written as otel_traces rows exactly as flatten.py writes them. The placeholders are
-- expressions from sql_render.py; every configurable value is a bound parameter.
--
-- Each ARRAY JOIN level projects only what the next needs, so no array is copied per row.
-- A span's own, event and link attribute lists are rendered together by one expression.
-- The python_path_* checks stop the query (throwIf) when a block needs something only the Python
-- path does; the insert is squashed into one block (see the settings), so then nothing has been
-- written. They are added to Duration (as 0) rather than filtered on: a WHERE would copy every
-- column of every row, and an unused column would be pruned without being evaluated.
INSERT INTO ${table} (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
    ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration,
    StatusCode, StatusMessage, `Events.Timestamp`, `Events.Name`, `Events.Attributes`,
    `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, `Links.Attributes`)
SELECT
    fromUnixTimestamp64Nano(toInt64(span.start_time_unix_nano)),
    lower(hex(span.trace_id)),
    lower(hex(span.span_id)),
    -- an absent or all-zero parent id is stored as ''
    if(replaceAll(span.parent_span_id, '\0', '') = '', '', lower(hex(span.parent_span_id))),
    span.trace_state,
    span.name,
    if(span.kind BETWEEN 0 AND 5,
       ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'][span.kind + 1],
       'Unspecified'),
    resource_attributes['service.name'],
    resource_attributes,
    scope.name,
    scope.version,
    mapFromArrays(rendered[1].1, rendered[1].2),
    span.end_time_unix_nano - span.start_time_unix_nano + python_path_check,
    if(span.status.code BETWEEN 0 AND 2, ['Unset', 'Ok', 'Error'][span.status.code + 1], 'Unset'),
    status_message,
    arrayMap(ev -> fromUnixTimestamp64Nano(toInt64(ev.time_unix_nano)), span.events),
    arrayMap(ev -> ev.name, span.events),
    arrayMap(list -> mapFromArrays(list.1, list.2), arraySlice(rendered, 2, length(span.events))),
    arrayMap(ln -> lower(hex(ln.trace_id)), span.links),
    arrayMap(ln -> if(replaceAll(ln.span_id, '\0', '') = '', '', lower(hex(ln.span_id))),
             span.links),
    arrayMap(ln -> ln.trace_state, span.links),
    arrayMap(list -> mapFromArrays(list.1, list.2), arraySlice(rendered, 2 + length(span.events)))
FROM (
    SELECT
        resource_attributes, scope, span,
        arrayConcat([span.attributes], arrayMap(ev -> ev.attributes, span.events),
                    arrayMap(ln -> ln.attributes, span.links)) AS span_lists,
        arrayMap(attrs -> ${rendered_list}, span_lists) AS rendered,
        ${status_message} AS status_message,
        resource_check + throwIf(${span_needs_python}, ${python_path_message}) AS python_path_check
    FROM (
        SELECT resource_attributes, resource_check, scopes.scope AS scope, scopes.spans AS spans
        FROM (
            SELECT mapFromArrays(resource_list.1, resource_list.2) AS resource_attributes,
                   throwIf(${resource_needs_python}, ${python_path_message}) AS resource_check,
                   resource.scope_spans AS scope_spans
            FROM (
                SELECT resource, ${resource_rendered_list} AS resource_list
                FROM file({path:String}, 'ProtobufSingle', {structure:String})
                ARRAY JOIN resource_spans AS resource
            )
        )
        ARRAY JOIN scope_spans AS scopes
    )
    ARRAY JOIN spans AS span
)
SETTINGS ${settings}
