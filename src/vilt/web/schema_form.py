"""Integration settings forms, generated from each provider's settings JSON Schema (the same
schema ``GET /api/v1/providers/{kind}`` publishes), so every provider gets its form for free.
Secret fields are write-only: their inputs are always empty."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vilt.services.provider_hub import provider_info


@dataclass(frozen=True)
class SettingField:
    name: str
    title: str
    description: str
    widget: str
    """``text``, ``url``, ``number``, ``password``, ``select`` or ``checkbox``."""
    required: bool
    secret: bool
    options: tuple[str, ...] = ()
    default: Any = None

    @property
    def form_name(self) -> str:
        return f"settings.{self.name}"


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        target = defs.get(prop["$ref"].rsplit("/", 1)[-1], {})
        return {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    for key in ("anyOf", "oneOf"):
        if key in prop:  # Optional[X]: the non-null branch
            branches = [b for b in prop[key] if b.get("type") != "null"]
            if branches:
                return {**_resolve(branches[0], defs), **{k: v for k, v in prop.items() if k != key}}
    return prop


def _widget(prop: dict[str, Any], secret: bool) -> str:
    if secret or prop.get("format") == "password" or prop.get("writeOnly"):
        return "password"
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") == "uri" or "url" in prop.get("title", "").lower():
        return "url"
    return "text"


def setting_fields(kind: str) -> list[SettingField]:
    model = provider_info(kind).settings_model
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    secrets = set(model.secret_fields())
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(raw, defs)
        secret = name in secrets
        fields.append(
            SettingField(
                name=name,
                title=str(prop.get("title") or name.replace("_", " ").capitalize()),
                description=str(prop.get("description") or ""),
                widget=_widget(prop, secret),
                required=name in required,
                secret=secret,
                options=tuple(str(v) for v in prop.get("enum", ())),
                default=prop.get("default"),
            )
        )
    return fields


def settings_from_form(kind: str, values: dict[str, list[str]], *, editing: bool) -> dict[str, Any]:
    """The settings a submitted form gives. An empty secret while editing keeps the stored one
    (it is left out); an empty optional field is left out so its default applies."""
    found: dict[str, Any] = {}
    for setting in setting_fields(kind):
        given = values.get(setting.form_name, [])
        raw = given[-1].strip() if given else ""
        if setting.widget == "checkbox":
            found[setting.name] = raw in ("1", "on", "true")
            continue
        if not raw:
            if setting.secret and editing:
                continue
            if setting.required and not setting.secret:
                found[setting.name] = ""
            elif setting.required:
                continue  # reported as "This setting is required."
            continue
        if setting.widget == "number":
            try:
                found[setting.name] = int(raw)
            except ValueError:
                found[setting.name] = raw  # the schema's validation names the field
            continue
        found[setting.name] = raw
    return found
