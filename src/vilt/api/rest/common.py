"""Shared pieces of the REST API: paging and the ``provided`` set of PATCH bodies."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

# what a database integer column holds; larger numbers are refused as invalid input, not a 500
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="The next_cursor of the previous page.")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def provided(self) -> frozenset[str]:
        return frozenset(self.model_fields_set)


PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or bad API key", **PROBLEM},
    404: {"description": "Not found in this account", **PROBLEM},
    409: {"description": "Not allowed in the current state", **PROBLEM},
    422: {"description": "Invalid fields, each with a reason", **PROBLEM},
}
