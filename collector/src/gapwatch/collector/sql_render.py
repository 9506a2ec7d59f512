"""SQL expressions that store attribute values exactly as the Python path does.

The Python path (``values.py``, ``redaction.py``, ``flatten.py``) is the definition; these
expressions are its ClickHouse twin, checked against it by an equivalence test on random values:
pdata ``AsString`` rendering (doubles in ES6 form, arrays and kvlists as compact JSON escaped as
Python's ``json.dumps(ensure_ascii=False)`` does), redaction by key and by pattern, and the
tests for what only the Python path does (deeper nesting, repeated keys, values over the caps).

User-configurable values (limits, secret keys, patterns) are bound as query parameters, listed in
:attr:`SqlAttributeRenderer.parameters`; only constants of this module are written into the SQL.

    renderer = SqlAttributeRenderer(AttributeLimits(), Redactor.default(), depth=3)
    expression = renderer.rendered_list("span.attributes")   # (keys, values)
"""

from __future__ import annotations

import json
from typing import Any

from gapwatch.collector.flatten import AttributeLimits
from gapwatch.collector.redaction import REDACTED, Redactor
from gapwatch.collector.values import TOO_DEEP

MAX_LENGTH = "{max_value_length:UInt32}"
MAX_ATTRIBUTES = "{max_attributes:UInt32}"
MAX_KEY_LENGTH = "{max_key_length:UInt32}"

# every character json.dumps(ensure_ascii=False) escapes: quote, backslash, control characters
_JSON_ESCAPES = {c: json.dumps(c)[1:-1] for c in ('"', "\\", *map(chr, range(0x20)))}
_NEEDS_JSON_ESCAPE = r'[\x00-\x1f"\\]'
# ClickHouse writes exponents as 1e21; pdata (ES6, Go) writes 1e+21
_POSITIVE_EXPONENT = ("e([0-9])", "e+\\1")


def sql_literal(text: str) -> str:
    """A ClickHouse string literal for a constant of this module."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + "".join(c if ord(c) >= 0x20 else f"\\x{ord(c):02x}" for c in escaped) + "'"


_TOO_DEEP_JSON = sql_literal(json.dumps(TOO_DEEP, ensure_ascii=False))


class SqlAttributeRenderer:
    def __init__(self, limits: AttributeLimits, redactor: Redactor | None, depth: int):
        self._limits = limits
        self._redactor = redactor
        self._depth = depth
        self.parameters: dict[str, Any] = {
            "max_value_length": limits.max_value_length,
            "max_attributes": limits.max_attributes,
            "max_key_length": limits.max_key_length,
            "json_escape_needed": _NEEDS_JSON_ESCAPE,
            "json_escape_from": list(_JSON_ESCAPES),
            "json_escape_to": list(_JSON_ESCAPES.values()),
            "exponent_pattern": _POSITIVE_EXPONENT[0],
            "exponent_replacement": _POSITIVE_EXPONENT[1],
        }
        if redactor is not None:
            self.parameters["redact_keys"] = list(redactor.secret_keys)
            any_secret = redactor.any_secret
            self.parameters["redact_any"] = any_secret.pattern if any_secret else ""
            for index, (name, pattern) in enumerate(redactor.patterns):
                self.parameters[f"redact_pattern_{index}"] = pattern.pattern
                self.parameters[f"redact_replacement_{index}"] = f"[REDACTED:{name}]"

    # -- whole attribute lists (Array(Tuple(key String, value AnyValue0))) -------------------

    def rendered_list(self, key_values: str) -> str:
        """(keys, values) of an attribute list: values rendered as pdata does, then redacted."""
        # one stage per step, so each expression names its input once instead of nesting copies
        rendered = f"arrayMap(a -> (a.key, {self.value_text('a.value')}), {key_values})"
        redacted = f"arrayMap(r -> {self.redacted('r.1', 'r.2')}, {rendered})"
        return f"(arrayMap(a -> a.key, {key_values}), {redacted})"

    @staticmethod
    def has_duplicate_keys(key_values: str) -> str:
        return f"(arrayUniq(arrayMap(a -> a.key, {key_values})) != length({key_values}))"

    def nests_too_deep(self, key_values: str) -> str:
        """True when some value nests deeper than the unrolled structure renders."""
        if self._limits.max_depth <= self._depth:
            return "0"  # the depth cap replaces everything below it with a marker anyway
        return f"arrayExists(a -> {self._deep_value('a.value', 0)}, {key_values})"

    # -- single texts ----------------------------------------------------------------------

    def over_length(self, text: str) -> str:
        return f"(lengthUTF8({text}) > {MAX_LENGTH})"

    @staticmethod
    def has_long_keys(key_values: str) -> str:
        return f"arrayExists(a -> lengthUTF8(a.key) > {MAX_KEY_LENGTH}, {key_values})"

    def redacted(self, key: str | None, text: str) -> str:
        """Redaction by key (whole value) then by pattern, as :class:`Redactor` does; without a
        ``key`` (a status message) by pattern only."""
        if self._redactor is None:
            return text
        scanned = text
        for index in range(len(self._redactor.patterns)):
            scanned = (
                f"replaceRegexpAll({scanned}, {{redact_pattern_{index}:String}}, "
                f"{{redact_replacement_{index}:String}})"
            )
        by_pattern = (
            f"if(lengthUTF8({text}) < 8 OR NOT match({text}, {{redact_any:String}}), "
            f"{text}, {scanned})"
        )
        if key is None:
            return by_pattern
        lowered = f"lower({key})"
        secret_key = (
            f"(multiSearchAny({lowered}, {{redact_keys:Array(String)}}) "
            f"AND NOT endsWith({lowered}, '_tokens') AND NOT endsWith({lowered}, '.tokens'))"
        )
        return f"if({secret_key}, if({text} = '', '', {sql_literal(REDACTED)}), {by_pattern})"

    # -- AnyValue rendering ----------------------------------------------------------------

    def value_text(self, value: str) -> str:
        """pdata ``AsString`` of a top-level AnyValue."""
        return (
            f"if({value}.value IN ('array_value', 'kvlist_value'), "
            f"{self._container_json(value, 0)}, {self._scalar_text(value)})"
        )

    def _scalar_text(self, value: str) -> str:
        return (
            f"multiIf({value}.value = 'string_value', {value}.string_value, "
            f"{value}.value = 'bool_value', if({value}.bool_value, 'true', 'false'), "
            f"{value}.value = 'int_value', toString({value}.int_value), "
            f"{value}.value = 'double_value', {self._double_text(f'{value}.double_value')}, "
            f"{value}.value = 'bytes_value', base64Encode({value}.bytes_value), '')"
        )

    def _value_json(self, value: str, level: int) -> str:
        # strings escaped, base64 and non-finite doubles quoted, absent values null
        quoted = (
            f"{value}.value = 'bytes_value' OR "
            f"({value}.value = 'double_value' AND NOT isFinite({value}.double_value))"
        )
        string = self._json_string(f"{value}.string_value")
        container = self._container_json(value, level)
        return (
            f"multiIf({value}.value = 'string_value', {string}, "
            f"{value}.value IN ('array_value', 'kvlist_value'), {container}, "
            f"{value}.value = '', 'null', "
            f"{quoted}, concat('\"', {self._scalar_text(value)}, '\"'), "
            f"{self._scalar_text(value)})"
        )

    def _container_json(self, value: str, level: int) -> str:
        """An array or kvlist as JSON. Both become one list of (key, value) pairs first, so the
        next level's expression is written once, not once per container kind."""
        if level >= self._limits.max_depth or level >= self._depth:
            # past max_depth Python writes the marker; past the unrolled depth the request
            # never gets here (nests_too_deep sends it to the Python path)
            return _TOO_DEEP_JSON
        pair, is_kvlist = f"p{level}", f"({value}.value = 'kvlist_value')"
        pairs = (
            f"arrayConcat(arrayMap(x -> ('', x), {value}.array_value.values), "
            f"arrayMap(e -> (e.key, e.value), {value}.kvlist_value.values))"
        )
        member = (
            f"concat(if({is_kvlist}, concat({self._json_string(f'{pair}.1')}, ':'), ''), "
            f"{self._value_json(f'{pair}.2', level + 1)})"
        )
        return (
            f"concat(if({is_kvlist}, '{{', '['), "
            f"arrayStringConcat(arrayMap({pair} -> {member}, {pairs}), ','), "
            f"if({is_kvlist}, '}}', ']'))"
        )

    def _deep_value(self, value: str, level: int) -> str:
        if level >= self._limits.max_depth:
            return "0"
        if level >= self._depth:
            return f"({value}.value IN ('array_value', 'kvlist_value'))"
        element, entry = f"x{level}", f"e{level}"
        return (
            f"(arrayExists({element} -> {self._deep_value(element, level + 1)}, "
            f"{value}.array_value.values) OR arrayExists({entry} -> "
            f"{self._deep_value(f'{entry}.value', level + 1)}, {value}.kvlist_value.values))"
        )

    @staticmethod
    def _double_text(number: str) -> str:
        finite = (
            f"replaceRegexpOne(toString({number}), "
            "{exponent_pattern:String}, {exponent_replacement:String})"
        )
        # pdata renders the Go JSON encoder's complaint for NaN and infinities
        other = f"if(isNaN({number}), 'NaN', if({number} > 0, '+Inf', '-Inf'))"
        return f"if(isFinite({number}), {finite}, concat('json: unsupported value: ', {other}))"

    @staticmethod
    def _json_string(text: str) -> str:
        # escaping is rare (match() decides); then map character by character
        escaped = (
            "arrayStringConcat(arrayMap(ch -> transform(ch, {json_escape_from:Array(String)}, "
            f"{{json_escape_to:Array(String)}}, ch), splitByRegexp('', {text})))"
        )
        return (
            f"concat('\"', if(match({text}, {{json_escape_needed:String}}), {escaped}, {text}), "
            "'\"')"
        )
