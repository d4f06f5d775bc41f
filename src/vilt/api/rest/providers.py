"""``/providers``: the kinds Vilt can link, what each supports, and its settings schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from vilt.api.deps import PrincipalDep
from vilt.api.rest.common import ERRORS
from vilt.core.errors import NotFound
from vilt.providers import registry
from vilt.providers.base import ProviderInfo

router = APIRouter(prefix="/providers", tags=["providers"], responses=ERRORS)


class ProviderOut(BaseModel):
    kind: str
    title: str
    capabilities: list[str]
    unsupported: dict[str, str]
    settings_schema: dict[str, Any]
    secret_fields: list[str]
    concurrency: int
    docs_url: str | None


def provider_out(info: ProviderInfo) -> ProviderOut:
    return ProviderOut(
        kind=info.kind,
        title=info.title,
        capabilities=sorted(c.value for c in info.capabilities),
        unsupported=dict(info.unsupported),
        settings_schema=info.settings_model.model_json_schema(),
        secret_fields=info.settings_model.secret_fields(),
        concurrency=info.concurrency,
        docs_url=info.docs_url,
    )


@router.get("", response_model=list[ProviderOut])
async def list_providers(principal: PrincipalDep) -> list[ProviderOut]:
    return [provider_out(registry.info(kind)) for kind in registry.kinds()]


@router.get("/{kind}", response_model=ProviderOut)
async def get_provider(kind: str, principal: PrincipalDep) -> ProviderOut:
    if kind not in registry.ADAPTERS:
        raise NotFound(f"No provider '{kind}'; known: {', '.join(registry.kinds())}.")
    return provider_out(registry.info(kind))
