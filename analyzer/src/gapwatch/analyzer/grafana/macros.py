"""Expand a panel query the way Grafana and the ClickHouse plugin do before ClickHouse sees it.

    sql = expand_query(raw_sql, QueryContext(time_from=start, time_to=end,
                                             variables={"tool": ["read_file"]}))

Order follows the plugin: the frontend first resolves ``$__conditionalAll`` and the dashboard
variables, then the backend (Go) expands the time macros. Used by the tests to run every panel
and alert on real chDB, and by anything that wants to run a dashboard query outside Grafana.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

ALL = "$__all"

_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class QueryContext:
    """The dashboard state a query is expanded with.

    ``variables`` maps a variable name to its selected values; ``[ALL]`` or an empty list means
    "All", which expands to every value in ``all_values[name]``.
    """

    time_from: datetime
    time_to: datetime
    interval_s: int = 60
    variables: Mapping[str, Sequence[str]] = field(default_factory=dict)
    all_values: Mapping[str, Sequence[str]] = field(default_factory=dict)


class MacroError(ValueError):
    """A macro with the wrong number of arguments, or an undefined variable."""


def expand_query(sql: str, context: QueryContext) -> str:
    """Frontend then backend expansion; the result is plain ClickHouse SQL."""
    sql = expand_conditional_all(sql, context)
    sql = interpolate_variables(sql, context)
    return expand_time_macros(sql, context)


def expand_conditional_all(sql: str, context: QueryContext) -> str:
    """``$__conditionalAll(cond, $var)`` → ``cond``, or ``1=1`` when ``$var`` is All or empty."""
    macro = "$__conditionalAll("
    index = sql.rfind(macro)
    while index != -1:
        args, end = _macro_args(sql, index + len(macro) - 1)
        if len(args) != 2:
            raise MacroError(f"$__conditionalAll takes 2 arguments, got {len(args)}")
        match = _VARIABLE.fullmatch(args[1].strip())
        if match is None:
            raise MacroError(f"second $__conditionalAll argument is not a variable: {args[1]!r}")
        name = match.group(1) or match.group(3)
        phrase = "1=1" if _is_all(_selected(context, name)) else args[0]
        sql = sql[:index] + phrase + sql[end:]
        index = sql.rfind(macro)
    return sql


def interpolate_variables(sql: str, context: QueryContext) -> str:
    """Replace ``$var``, ``${var}`` and ``${var:format}`` (``singlequote``, ``percentencode``,
    ``csv``, ``raw``)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name.startswith("__"):
            return match.group(0)  # a macro or built-in, not a dashboard variable
        values = list(_selected(context, name))
        if _is_all(values):
            values = list(context.all_values.get(name, ()))
        form = match.group(2) or ""
        if form == "singlequote":
            return ",".join("'" + value.replace("'", "\\'") + "'" for value in values)
        if form == "percentencode":
            # Grafana's encodeURIComponentStrict; several values are sent as "{a,b}"
            text = values[0] if len(values) == 1 else "{" + ",".join(values) + "}"
            return quote(text, safe="-_.~")
        return ",".join(values)

    return _VARIABLE.sub(replace, sql)


def expand_time_macros(sql: str, context: QueryContext) -> str:
    """The backend macros of the plugin's ``pkg/macros``, with the outputs it documents."""
    start = int(context.time_from.timestamp())
    end = int(context.time_to.timestamp())
    start_ms = int(context.time_from.timestamp() * 1000)
    end_ms = int(context.time_to.timestamp() * 1000)
    interval = max(int(context.interval_s), 1)
    handlers: dict[str, Callable[[list[str]], str]] = {
        "timeFilter": lambda a: (
            f"{_one(a)} >= toDateTime({start}) AND {_one(a)} <= toDateTime({end})"
        ),
        "timeFilter_ms": lambda a: (
            f"{_one(a)} >= fromUnixTimestamp64Milli({start_ms}) "
            f"AND {_one(a)} <= fromUnixTimestamp64Milli({end_ms})"
        ),
        "dateFilter": lambda a: (
            f"{_one(a)} >= toDate('{_date(context.time_from)}') "
            f"AND {_one(a)} <= toDate('{_date(context.time_to)}')"
        ),
        "timeFrom": lambda a: f"{_one(a)} >= toDateTime({start})",
        "timeTo": lambda a: f"{_one(a)} <= toDateTime({end})",
        "timeInterval": lambda a: (
            f"toStartOfInterval(toDateTime({_one(a)}), INTERVAL {interval} second)"
        ),
        "timeInterval_ms": lambda a: (
            f"toStartOfInterval(toDateTime64({_one(a)}, 3), "
            f"INTERVAL {interval * 1000} millisecond)"
        ),
        "timeGroup": lambda a: _time_group(a),
    }
    plain = {
        "fromTime_ms": f"fromUnixTimestamp64Milli({start_ms})",
        "toTime_ms": f"fromUnixTimestamp64Milli({end_ms})",
        "fromTime": f"toDateTime({start})",
        "toTime": f"toDateTime({end})",
        "interval_s": str(interval),
    }
    pattern = re.compile(r"\$__(\w+)")
    position = 0
    out: list[str] = []
    while (match := pattern.search(sql, position)) is not None:
        name = match.group(1)
        out.append(sql[position : match.start()])
        if name in handlers and sql[match.end() : match.end() + 1] == "(":
            args, end_index = _macro_args(sql, match.end())
            out.append(handlers[name]([arg.strip() for arg in args]))
            position = end_index
        elif name in plain:
            out.append(plain[name])
            position = match.end()
        else:
            raise MacroError(f"unknown or malformed macro $__{name}")
    out.append(sql[position:])
    return "".join(out)


def parse_duration(text: str) -> float:
    """A Grafana duration such as ``5m`` or ``1h`` in seconds."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise MacroError(f"not a duration: {text!r}")
    return int(match.group(1)) * _DURATION_SECONDS[match.group(2)]


def _time_group(args: list[str]) -> str:
    if len(args) != 2:
        raise MacroError("$__timeGroup takes a column and an interval")
    seconds = max(math.floor(parse_duration(args[1])), 1)
    return f"toStartOfInterval(toDateTime({args[0]}), INTERVAL {seconds} second)"


def _one(args: list[str]) -> str:
    if len(args) != 1 or not args[0]:
        raise MacroError(f"macro takes one column argument, got {args!r}")
    return args[0]


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _selected(context: QueryContext, name: str) -> Sequence[str]:
    if name not in context.variables:
        raise MacroError(f"variable ${name} is not defined")
    return context.variables[name]


def _is_all(values: Sequence[str]) -> bool:
    return len(values) == 0 or list(values) == [ALL]


def _macro_args(sql: str, open_index: int) -> tuple[list[str], int]:
    """Split the arguments of the call whose ``(`` is at ``open_index`` on top-level commas.

    Returns the raw arguments (whitespace kept, as the plugin does) and the index after ``)``.
    """
    depth = 0
    args: list[str] = []
    current: list[str] = []
    quote = ""
    for index in range(open_index, len(sql)):
        char = sql[index]
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
            current.append(char)
        elif char == "(":
            depth += 1
            if depth > 1:
                current.append(char)
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(current))
                return args, index + 1
            current.append(char)
        elif char == "," and depth == 1:
            args.append("".join(current))
            current = []
        else:
            current.append(char)
    raise MacroError(f"unbalanced parentheses in macro at offset {open_index}")
