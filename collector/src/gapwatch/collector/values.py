"""Render OTLP ``AnyValue``s as strings the way the upstream exporter does (pdata ``AsString``).

Strings as-is, booleans ``true``/``false``, integers in decimal, doubles in shortest round-trip
form, bytes as base64, arrays and key-value lists as compact JSON. Nesting is walked with an
explicit stack, so a hostile, deeply nested value cannot exhaust Python's recursion limit; past
``max_depth`` levels the rest of a value is replaced by a marker string.
"""

from __future__ import annotations

import base64
import json
import math
from decimal import Decimal
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

TOO_DEEP = "…(nested too deep)"


def any_value_to_string(value: AnyValue, max_depth: int = 32) -> str:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind is None:
        return ""
    if kind in ("array_value", "kvlist_value"):
        return json.dumps(
            any_value_to_python(value, max_depth), ensure_ascii=False, separators=(",", ":")
        )
    return str(_scalar(value, kind))


def any_value_to_python(value: AnyValue, max_depth: int = 32) -> Any:
    """Convert to JSON-ready Python values without recursion."""
    root: list[Any] = [None]
    # Each work item: (AnyValue, container, key-or-index, depth)
    stack: list[tuple[AnyValue, Any, Any, int]] = [(value, root, 0, 0)]
    while stack:
        item, container, slot, depth = stack.pop()
        kind = item.WhichOneof("value")
        if kind == "array_value":
            if depth >= max_depth:
                container[slot] = TOO_DEEP
                continue
            elements = item.array_value.values
            out: list[Any] = [None] * len(elements)
            container[slot] = out
            for index, element in enumerate(elements):
                stack.append((element, out, index, depth + 1))
        elif kind == "kvlist_value":
            if depth >= max_depth:
                container[slot] = TOO_DEEP
                continue
            mapping: dict[str, Any] = {}
            container[slot] = mapping
            for entry in item.kvlist_value.values:
                mapping[entry.key] = None
                stack.append((entry.value, mapping, entry.key, depth + 1))
        elif kind is None:
            container[slot] = None
        else:
            container[slot] = _json_scalar(item, kind)
    return root[0]


def _scalar(value: AnyValue, kind: str) -> Any:
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return format_double(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    # string_value_strindex is for profiles only; a trace receiver ignores it
    return ""


def _json_scalar(value: AnyValue, kind: str) -> Any:
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        number = value.double_value
        return number if math.isfinite(number) else format_double(number)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


def format_double(number: float) -> str:
    """Format like pdata's ``float64AsString``: ES6 number-to-string, as Go's encoding/json does.

    Plain decimal for 1e-6 <= |x| < 1e21, else exponent form with an unpadded exponent.
    """
    if math.isnan(number) or math.isinf(number):
        # upstream renders the JSON encoder's complaint verbatim
        go_name = "NaN" if math.isnan(number) else ("+Inf" if number > 0 else "-Inf")
        return f"json: unsupported value: {go_name}"
    magnitude = abs(number)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, exponent = repr(number).split("e")
        sign = exponent[0]
        return f"{mantissa}e{sign}{exponent[1:].lstrip('0') or '0'}"
    text = repr(number)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text
