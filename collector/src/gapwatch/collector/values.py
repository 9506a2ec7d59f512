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

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

TOO_DEEP = "…(nested too deep)"


def any_value_to_string(value: AnyValue, max_depth: int = 32) -> str:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind is None:
        return ""
    if kind in ("array_value", "kvlist_value"):
        return any_value_to_json(value, max_depth)
    return _scalar_text(value, kind)


def any_value_to_json(value: AnyValue, max_depth: int = 32) -> str:
    """Compact JSON of an array or kvlist value, doubles in pdata's form (``2``, ``1.5e-7``).

    Written by hand rather than with ``json.dumps``, whose float rendering (``2.0``,
    ``1.5e-07``) differs from the Go encoder the upstream exporter uses.
    """
    out: list[str] = []
    # work items: an AnyValue to render at a depth, or a literal piece of text
    stack: list[tuple[AnyValue, int] | str] = [(value, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        current, depth = item
        kind = current.WhichOneof("value")
        if kind in ("array_value", "kvlist_value") and depth >= max_depth:
            out.append(_json_string(TOO_DEEP))
        elif kind == "array_value":
            pieces: list[tuple[AnyValue, int] | str] = ["["]
            for index, element in enumerate(current.array_value.values):
                if index:
                    pieces.append(",")
                pieces.append((element, depth + 1))
            pieces.append("]")
            stack.extend(reversed(pieces))
        elif kind == "kvlist_value":
            pieces = ["{"]
            for index, entry in enumerate(current.kvlist_value.values):
                pieces.append(("," if index else "") + _json_string(entry.key) + ":")
                pieces.append((entry.value, depth + 1))
            pieces.append("}")
            stack.extend(reversed(pieces))
        else:
            out.append(_json_scalar_text(current, kind))
    return "".join(out)


def _json_scalar_text(value: AnyValue, kind: str | None) -> str:
    if kind == "string_value":
        return _json_string(value.string_value)
    if kind in ("bool_value", "int_value") or (
        kind == "double_value" and math.isfinite(value.double_value)
    ):
        return _scalar_text(value, kind)
    if kind in ("double_value", "bytes_value"):
        return _json_string(_scalar_text(value, kind))  # non-finite doubles, base64 bytes
    return "null"


def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _scalar_text(value: AnyValue, kind: str) -> str:
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return format_double(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    # string_value_strindex is for profiles only; a trace receiver ignores it
    return ""


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
