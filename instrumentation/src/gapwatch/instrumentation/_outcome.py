"""How a tool call ended: ``gapwatch.tool.outcome`` from an exception or a returned value.

* an exception whose type is a timeout → ``timeout`` (``error.type`` = ``timeout``);
* a policy or permission refusal (:class:`ToolBlocked`, :class:`PermissionError` or a configured
  type) → ``blocked`` with the reason and the capability the agent wanted;
* any other exception → ``error`` (``error.type`` = the exception's class name);
* a returned value the result classifier calls error-shaped → ``soft_error`` (or whatever outcome
  the classifier returns);
* otherwise ``ok``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gapwatch.semconv.values import ERROR_TYPE_TIMEOUT, ToolOutcome


@dataclass(frozen=True, slots=True)
class Classification:
    """The outcome of one call, with the details the outcome needs."""

    outcome: ToolOutcome
    error_type: str | None = None
    reason: str | None = None
    desired_capability: str | None = None


ResultClassifier = Callable[[Any], "Classification | None"]

OK = Classification(ToolOutcome.OK)
_SOFT_ERROR = Classification(ToolOutcome.SOFT_ERROR)


class ToolBlocked(Exception):  # noqa: N818 - reads as an event, like StopIteration
    """Raise (or subclass) when a permission or policy refuses a tool call.

    The span gets ``gapwatch.tool.outcome=blocked``, ``gapwatch.blocked.reason`` and
    ``gapwatch.desired_capability``; the exception still propagates to the caller.
    """

    def __init__(self, reason: str, desired_capability: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.desired_capability = desired_capability


def classify_exception(
    exc: BaseException,
    blocked_types: tuple[type[BaseException], ...] = (),
    timeout_types: tuple[type[BaseException], ...] = (),
) -> Classification:
    """Classify an exception raised by a tool or delegate."""
    if isinstance(exc, (ToolBlocked, PermissionError, *blocked_types)):
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        return Classification(
            ToolOutcome.BLOCKED,
            error_type=type(exc).__qualname__,
            reason=str(reason),
            desired_capability=getattr(exc, "desired_capability", None),
        )
    if isinstance(exc, (TimeoutError, *timeout_types)) or _named_like_timeout(type(exc)):
        return Classification(ToolOutcome.TIMEOUT, error_type=ERROR_TYPE_TIMEOUT)
    return Classification(ToolOutcome.ERROR, error_type=type(exc).__qualname__)


def default_result_classifier(result: Any) -> Classification | None:
    """Recognize common error-shaped results returned without an exception.

    Matches MCP's ``CallToolResult(isError=True)``, LangChain's ``ToolMessage(status="error")``,
    and mappings such as ``{"error": "..."}``, ``{"is_error": True}``, ``{"ok": False}``,
    ``{"success": False}`` or ``{"status": "error"}``. Returns ``None`` for anything else.
    """
    if result is None or isinstance(result, (str, bytes, int, float, bool)):
        return None
    if isinstance(result, Mapping):
        if result.get("error") or result.get("is_error") is True or result.get("isError") is True:
            return _SOFT_ERROR
        if result.get("ok") is False or result.get("success") is False:
            return _SOFT_ERROR
        status = result.get("status")
        return _SOFT_ERROR if isinstance(status, str) and status.lower() == "error" else None
    if getattr(result, "isError", None) is True or getattr(result, "is_error", None) is True:
        return _SOFT_ERROR
    status = getattr(result, "status", None)
    if isinstance(status, str) and status.lower() == "error":
        return _SOFT_ERROR
    return None


def _named_like_timeout(cls: type[BaseException]) -> bool:
    # Libraries such as httpx and requests define timeouts outside the TimeoutError hierarchy.
    return any(
        klass.__name__.endswith(("Timeout", "TimeoutError", "TimeoutException"))
        for klass in cls.__mro__
    )
