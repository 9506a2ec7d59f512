"""Keeping every answer small enough for a model's context.

    answer, shown = fit_rows(lambda n: Page(rows=rows[:n]), len(rows))

An answer is measured as the JSON the client receives; pages shrink row by row until they fit,
long texts are clipped with a marker, and the answer's ``note`` says what was left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

# ~3,000 tokens at the usual four characters a token: room for several answers in one turn
MAX_ANSWER_CHARS = 12_000
CLIP_MARK = " …[clipped]"

M = TypeVar("M", bound=BaseModel)


def size(answer: BaseModel) -> int:
    """Characters of the answer as it goes out (the text content; structured content matches)."""
    return len(answer.model_dump_json())


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(CLIP_MARK))] + CLIP_MARK


def clip_values(value: Any, limit: int, items: int = 50) -> Any:
    """A JSON-like value with every string clipped to ``limit`` characters and every list and
    object cut to ``items`` entries (the cut marked by a last entry saying how many more)."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, dict):
        kept = {key: clip_values(item, limit, items)
                for key, item in list(value.items())[:items]}
        if len(value) > items:
            kept["…"] = f"{len(value) - items} more"
        return kept
    if isinstance(value, list):
        shown = [clip_values(item, limit, items) for item in value[:items]]
        return shown + [f"… {len(value) - items} more"] if len(value) > items else shown
    return value


def fit_rows(build: Callable[[int], M], available: int,
             budget: int = MAX_ANSWER_CHARS) -> tuple[M, int]:
    """The answer with as many of the ``available`` rows as fit the budget, and that number.

    ``build(n)`` makes the answer with the first ``n`` rows. At least one row is kept (a single
    row is bounded by the clipping of its fields), so paging always moves forward.
    """
    answer = build(available)
    if available <= 1 or size(answer) <= budget:
        return answer, available
    low, high = 1, available - 1  # the largest n that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if size(build(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    return build(low), low
