"""Which fields of a model are secret, and how they are hidden wherever the console shows or writes a model.

LISA has one secret in a model: `apiKey`, the third-party provider's key. Its create handler stores it in the
record's `model_config` as given and sends it to LiteLLM as `litellm_params.api_key`; no update can change it. So
the secret fields are the keys named `apiKey` or `api_key`, in a configuration, an API-shaped model, a stored item,
a listing entry or LiteLLM params, at any depth but inside a container's `environment` (whose variable names are
the user's own, and are edited and sent back by updates).

A hidden value is replaced by `MASK`, which says the field is set; a request that still holds `MASK` as its key is
refused (`CreateModelRequest`), so a hidden value never reaches a record or LiteLLM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

MASK: Final = "***"
SECRET_FIELDS: Final = frozenset({"apiKey", "api_key"})
"""LISA's CreateModelRequest.apiKey (stored as is in `model_config`) and LiteLLM's name for it."""
OPAQUE_FIELDS: Final = frozenset({"environment"})
"""Mappings whose keys are names the user chose, never field names: not searched for secret fields."""
MASKED_RULE: Final = (
    f"is '{MASK}', the mark of a hidden API key, not a key: enter the model's API key (an export without secrets, "
    "or a submitted draft, does not hold it)"
)

SecretValues = tuple[tuple[str, str], ...]
"""(dotted path, value) of each secret field that is set, as `secrets_of` finds them."""


def is_secret_value(key: object, value: object) -> bool:
    """A secret field that is set: named as one, holding something other than nothing or `MASK`."""
    return key in SECRET_FIELDS and value not in (None, "", MASK)


def masked(value: Any) -> Any:
    """`value` (a mapping, or a list of them) with every set secret field replaced by `MASK`; a copy where
    anything was hidden, else the same objects."""
    if isinstance(value, Mapping):
        hidden = {}
        for key, inner in value.items():
            if is_secret_value(key, inner):
                hidden[key] = MASK
            elif key in OPAQUE_FIELDS:
                hidden[key] = inner
            else:
                hidden[key] = masked(inner)
        return hidden
    if isinstance(value, list | tuple):
        return [masked(inner) for inner in value]
    return value


def secrets_of(value: Any) -> SecretValues:
    """The set secret fields of `value`, by dotted path (`apiKey`, `model_config.apiKey`): what `masked` hides."""
    return tuple(_secrets(value, ()))


def _secrets(value: Any, path: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    if not isinstance(value, Mapping):
        return
    for key, inner in value.items():
        if is_secret_value(key, inner):
            yield ".".join((*path, str(key))), str(inner)
        elif key not in OPAQUE_FIELDS:
            yield from _secrets(inner, (*path, str(key)))


def revealed(value: Mapping[str, Any], secrets: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A copy of the masked mapping `value` with the `secrets` (as `secrets_of` gave them) back in their places;
    a secret whose place is gone is left out."""
    shown: dict[str, Any] = _copy(value)
    for path, secret in secrets:
        *parents, leaf = path.split(".")
        here: Any = shown
        for key in parents:
            here = here.get(key) if isinstance(here, dict) else None
        if isinstance(here, dict) and leaf in here:
            here[leaf] = secret
    return shown


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(inner) for inner in value]
    return value


def masked_fields(value: Any) -> list[str]:
    """Dotted paths of the secret fields holding `MASK`: a hidden value that must not be sent."""
    found: list[str] = []

    def walk(inner: Any, path: tuple[str, ...]) -> None:
        if isinstance(inner, Mapping):
            for key, child in inner.items():
                if key in SECRET_FIELDS and child == MASK:
                    found.append(".".join((*path, str(key))))
                elif key not in OPAQUE_FIELDS:
                    walk(child, (*path, str(key)))

    walk(value, ())
    return found


_SECRET_WORDS: Final = re.compile(
    r"api[_-]?key|access[_-]?key|secret|passw(?:or)?d|credential|(?:^|[._-])[a-z]*token$", re.IGNORECASE
)


def looks_secret(name: str) -> bool:
    """A name like a secret's (apiKey, HF_TOKEN, aws_secret_access_key, ...): wider than `SECRET_FIELDS`."""
    return bool(_SECRET_WORDS.search(name))


def redacted(value: Any) -> Any:
    """`value` with every secret-looking entry hidden, for records nothing reads back (the job journal, logs): a
    key named like a secret (apiKey, HF_TOKEN, ...), environment variables included, and the old and new values
    of a plan's change whose field is named so."""
    if isinstance(value, Mapping):
        secret_field = isinstance(value.get("field"), str) and looks_secret(str(value["field"]))
        hidden: dict[str, Any] = {}
        for key, inner in value.items():
            if (looks_secret(str(key)) and inner not in (None, "")) or (
                secret_field and key in ("old", "new") and inner not in (None, "")
            ):
                hidden[str(key)] = MASK
            else:
                hidden[str(key)] = redacted(inner)
        return hidden
    if isinstance(value, list | tuple):
        return [redacted(inner) for inner in value]
    return value
