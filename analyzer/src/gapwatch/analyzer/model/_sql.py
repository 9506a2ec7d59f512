"""The model's SQL: one copy of each query in ``model/sql``, for migrations and for assembly.

    model_query("assemble")                  # text with {name:Type} placeholders, bound at run time
    model_context("default")                 # ${span_normalization} for the migrations
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

# model queries that migrations embed to build views (``${<name>}`` in a migration file)
VIEW_QUERIES = ("span_conventions", "span_normalization")


@cache
def model_query(name: str) -> str:
    """The text of ``model/sql/<name>.sql``."""
    return resources.files(__package__).joinpath("sql", f"{name}.sql").read_text()


def model_context(database: str) -> dict[str, str]:
    """The view queries rendered for ``database``, keyed by name, for migration placeholders."""
    return {name: Template(model_query(name)).substitute(database=database).rstrip().rstrip(";")
            for name in VIEW_QUERIES}
