"""Rate-limited warnings for gapwatch's own failures.

Instrumentation must never break the agent it observes, so every internal failure is caught and
reported here instead: the first occurrence of a problem is logged with its traceback, repeats are
counted and summarized at most once per interval, so a broken hook on a hot path cannot flood the
agent's logs.
"""

from __future__ import annotations

import logging
import threading
import time

REPEAT_INTERVAL_S = 60.0

logger = logging.getLogger("gapwatch.instrumentation")

_lock = threading.Lock()
# key -> (time of last log line, repeats suppressed since then)
_seen: dict[str, tuple[float, int]] = {}


def warn_internal(key: str, message: str, *args: object, exc_info: bool = True) -> None:
    """Log an internal failure once per ``key``, then at most once per interval with a count."""
    try:
        now = time.monotonic()
        with _lock:
            last = _seen.get(key)
            if last is not None and now - last[0] < REPEAT_INTERVAL_S:
                _seen[key] = (last[0], last[1] + 1)
                return
            suppressed = last[1] if last is not None else 0
            _seen[key] = (now, 0)
        template = "gapwatch: " + message
        if last is None:
            logger.warning(template, *args, exc_info=exc_info)
        else:
            template += " (%d similar since last report)"
            logger.warning(
                template,
                *args,
                suppressed,
                exc_info=False,
            )
    except Exception:  # pragma: no cover - logging itself failed; nothing sensible is left
        pass


def reset_warnings() -> None:
    """Forget which warnings were already logged (for tests)."""
    with _lock:
        _seen.clear()
