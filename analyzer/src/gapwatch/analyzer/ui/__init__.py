"""The review UI, served by the API's own app at ``/``: inbox, proposal pages with evidence
charts, trace waterfalls, scorecards and the live weekly review; plus ``/docs`` offline.

    app = FastAPI(docs_url=None)
    install_ui(app)

Pages are rendered on the server (Jinja2, inline SVG charts); the only script copies text.
Sign-in, session cookies and CSRF are described in ``access.py``.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gapwatch.analyzer.ui.access import install_access
from gapwatch.analyzer.ui.docs import install_docs
from gapwatch.analyzer.ui.pages import router

STATIC = "/ui-static"


def install_ui(app: FastAPI) -> None:
    """Add the UI's pages, its static files, sign-in and the offline ``/docs`` to ``app``."""
    install_access(app)
    install_docs(app)
    static = resources.files(__package__).joinpath("static")
    app.mount(STATIC, StaticFiles(directory=str(static)), name="ui-static")
    app.include_router(router)


__all__ = ["install_ui"]
