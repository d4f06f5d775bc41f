"""Vilt's own signing keys: one signs, rotated ones stay published until they expire.

Private keys are stored encrypted with the deployment's secret key (``ctx.secrets``)."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Forbidden, ValidationFailed
from vilt.services.context import ServiceContext
from vilt.services.lti.signing import SigningKey
from vilt.storage.lti_models import LtiToolKey
from vilt.storage.repositories import accounts as accounts_repo
from vilt.storage.repositories import lti as repo

DEFAULT_OVERLAP = timedelta(hours=72)
"""How long a rotated key is still published: platforms cache key sets."""


def _new_key(ctx: ServiceContext) -> LtiToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = secrets.token_urlsafe(12)
    public: dict[str, Any] = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return LtiToolKey(
        kid=kid,
        private_key=ctx.secrets.encrypt({"pem": pem}),
        public_jwk=public,
        created_at=ctx.clock.now(),
    )


async def ensure_key(ctx: ServiceContext, tx: AsyncSession) -> LtiToolKey:
    """The key that signs now; the first one is made on first use."""
    found = await repo.signing_key(tx)
    if found is not None:
        return found
    key = _new_key(ctx)
    tx.add(key)
    await tx.flush()
    return key


async def signing_key(ctx: ServiceContext, tx: AsyncSession) -> SigningKey:
    key = await ensure_key(ctx, tx)
    return SigningKey(key.kid, ctx.secrets.decrypt(key.private_key)["pem"])


async def rotate(
    ctx: ServiceContext,
    tx: AsyncSession,
    keep_old_for: timedelta = DEFAULT_OVERLAP,
    *,
    asked_by_account: uuid.UUID | None = None,
) -> LtiToolKey:
    """A new key signs from now on; the old ones are published for ``keep_old_for`` more.

    The keys serve every account of this Vilt, so one account's administrator may rotate them
    only when theirs is the only account; otherwise it is the operator's job (the CLI, which
    passes no account)."""
    if asked_by_account is not None and len(await accounts_repo.all_accounts(tx)) > 1:
        raise Forbidden(
            "The tool's signing keys are shared by every account of this Vilt, so with several "
            "accounts only the operator rotates them: run `vilt lti key rotate` on the server."
        )
    if keep_old_for < timedelta(0) or keep_old_for > timedelta(days=90):
        raise ValidationFailed.one("keep_old_for_hours", "Keep the old key between 0 hours and 90 days.")
    now = ctx.clock.now()
    for old in await repo.tool_keys(tx):
        if old.retired_at is None:
            old.retired_at = now
            old.expires_at = now + keep_old_for
    key = _new_key(ctx)
    tx.add(key)
    await tx.flush()
    return key


async def key_set(ctx: ServiceContext, tx: AsyncSession) -> dict[str, Any]:
    """The public JWK Set: the signing key and every rotated key not yet expired."""
    await ensure_key(ctx, tx)
    return {"keys": [dict(k.public_jwk) for k in await repo.published_keys(tx, ctx.clock.now())]}
