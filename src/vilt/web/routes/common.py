"""Shared by the page modules."""

from __future__ import annotations

from fastapi import APIRouter

from vilt.web.pages import PageRoute


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False)
