"""The errors every adapter maps its provider's failures to.

Messages are shown to administrators, so they say what went wrong in words and never carry a
secret, a token or a signed URL.
"""

from __future__ import annotations

from datetime import timedelta


class ProviderError(Exception):
    """Base: a provider call did not do what was asked."""

    retriable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AuthExpired(ProviderError):
    """The credentials stopped working: the integration needs re-authorization."""


class Retriable(ProviderError):
    """Try again later: a timeout, a 5xx, the provider busy. ``defer`` is how long to wait."""

    retriable = True

    def __init__(self, reason: str, defer: timedelta | None = None) -> None:
        super().__init__(reason)
        self.defer = defer


class RateLimited(Retriable):
    """The provider asked us to slow down (429); ``defer`` comes from its Retry-After."""

    account_wide = True
    """Every call to this provider account should wait (not only calls for one user)."""


class QuotaReached(RateLimited):
    """A quota of one provider user (not the whole account) is used up until ``defer`` passes,
    e.g. Zoom's meeting creates and updates per user per day."""

    account_wide = False


class NotFound(ProviderError):
    """The meeting (or user) does not exist on the provider."""


class Unsupported(ProviderError):
    """The provider cannot do this at all; declared, never silently skipped."""

    def __init__(self, feature: str, why: str) -> None:
        super().__init__(f"{feature} is not supported: {why}")
        self.feature = feature
        self.why = why


class Invalid(ProviderError):
    """The provider refused the request as given; retrying the same request will not help."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


class BadSignature(ProviderError):
    """An incoming callback or webhook failed its authenticity check."""
