"""Reversible monkey-patching for the instrumentor: wrap ``module:qualname`` targets when their
module is imported, and put every original back on ``uninstrument()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import wrapt

from gapwatch.instrumentation._diagnostics import warn_internal

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


class Patcher:
    """Applies wrappers and remembers the originals."""

    def __init__(self) -> None:
        self._applied: list[tuple[Any, str, Any]] = []
        self._generation = 0

    def wrap(self, module: Any, qualname: str, wrapper: Wrapper) -> bool:
        """Wrap ``qualname`` inside the imported ``module``; False if it does not exist."""
        try:
            parent, attribute, original = wrapt.resolve_path(module, qualname)
        except AttributeError:
            return False
        if isinstance(original, wrapt.ObjectProxy) and getattr(original, "_self_gapwatch", False):
            return True  # already wrapped by this instrumentor
        wrapped = wrapt.FunctionWrapper(original, wrapper)
        # Marks our proxies; the _self_ prefix keeps the attribute on the proxy itself.
        setattr(wrapped, "_self_gapwatch", True)  # noqa: B010
        setattr(parent, attribute, wrapped)
        self._applied.append((parent, attribute, original))
        return True

    def when_imported(self, module_name: str, qualname: str, wrapper: Wrapper) -> None:
        """Wrap ``module_name:qualname`` now if imported, else as soon as it is imported."""
        generation = self._generation

        def hook(module: Any) -> None:
            if generation != self._generation:
                return  # uninstrumented (or re-instrumented) since the hook was registered
            try:
                if not self.wrap(module, qualname, wrapper):
                    warn_internal(
                        f"missing:{module_name}:{qualname}",
                        "%s:%s not found; not instrumented",
                        module_name,
                        qualname,
                        exc_info=False,
                    )
            except Exception:
                warn_internal(f"wrap:{module_name}:{qualname}", "could not wrap %s", qualname)

        wrapt.register_post_import_hook(hook, module_name)

    def restore(self) -> None:
        """Put every original back, newest first."""
        self._generation += 1
        while self._applied:
            parent, attribute, original = self._applied.pop()
            setattr(parent, attribute, original)
