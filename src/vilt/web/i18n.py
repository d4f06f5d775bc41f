"""Languages for the product's pages: the shared machinery lives in ``vilt.i18n`` (the LTI
tool's pages, in ``vilt.api``, use it too); this module keeps the names the pages import."""

from __future__ import annotations

from vilt.i18n import (
    CATALOGS,
    DEFAULT,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    Texts,
    choose_language,
    from_accept_language,
    translations,
)

__all__ = [
    "CATALOGS",
    "DEFAULT",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "Texts",
    "choose_language",
    "from_accept_language",
    "translations",
]
