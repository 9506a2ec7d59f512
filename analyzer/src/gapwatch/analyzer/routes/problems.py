"""Every error answer is RFC 9457 problem JSON: domain errors, validation, unknown routes.

    install_problem_handlers(app)
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from gapwatch.analyzer.errors import AnalyzerError
from gapwatch.analyzer.routes.schemas import Problem

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://gapwatch.dev/problems/"

logger = logging.getLogger(__name__)


def problem_response(
    status: int, title: str, detail: str, request: Request, slug: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error answers (their media type is fixed up below)."""
    return {code: {"model": Problem} for code in codes}


def install_problem_handlers(app: FastAPI) -> None:
    """Map errors to problem JSON, and say so in the OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _problem_media_type(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(AnalyzerError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def _problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    # FastAPI files every response model under the route's media type (application/json, or
    # text/plain for the report); problems are sent as application/problem+json, so the
    # document must say that for clients and schema checks
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if code[:1] in "45" and any(c.get("schema") == ref for c in content.values()):
                    response["content"] = {MEDIA_TYPE: {"schema": ref}}
    return schema


async def _domain(request: Request, error: AnalyzerError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    detail = str(error)
    if error.status >= 500:
        # the message may carry the engine's own text (SQL, schema, paths): log it, answer with
        # an id that finds it in the log
        error_id = uuid.uuid4().hex[:12]
        logger.warning("%s %s [error %s]: %s", request.method, request.url.path, error_id,
                       error)
        detail = f"{error.title.lower()}; see the server log for error {error_id}"
    return problem_response(error.status, error.title, detail, request, error.type_slug,
                            headers)


async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
    details = "; ".join(
        f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg', '')}"
        for item in error.errors()
    )
    return problem_response(422, "Invalid request", details, request, "validation")


async def _http(request: Request, error: HTTPException) -> JSONResponse:
    return problem_response(error.status_code, str(error.detail), str(error.detail), request,
                            f"http-{error.status_code}", dict(error.headers or {}))


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    error_id = uuid.uuid4().hex[:12]
    logger.exception("unhandled error on %s %s [error %s]", request.method, request.url.path,
                     error_id)
    return problem_response(500, "Internal error", f"see the server log for error {error_id}",
                            request, "internal")
