"""Named connections to LISA deployments, stored without secrets under the user's config directory."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import InvalidInput, Problem
from engine.schema.problems import field_path, rule_text
from lisa_desktop import APP_DIR_NAME

CONFIG_DIR_ENV = "LISA_DESKTOP_CONFIG_DIR"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


class Connection(BaseModel):
    """How to reach one deployment. An access key's secret is in the OS keychain, never here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    auth: Literal["profile", "access-key"]
    profile: str | None = None
    access_key_id: str | None = None
    region: str = Field(min_length=1)
    deployment_prefix: str
    endpoint_url: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (up to 64), starting with a letter or digit")
        return value

    @field_validator("deployment_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/") or len(value) < 2:
            raise ValueError("must look like /stage/deploymentName (LISA's deploymentPrefix)")
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _auth_fields(self) -> Connection:
        if self.auth == "profile" and not self.profile:
            raise ValueError("a profile connection needs --profile")
        if self.auth == "access-key" and not self.access_key_id:
            raise ValueError("an access-key connection needs --access-key-id")
        return self

    @property
    def keychain_account(self) -> str:
        """Where the secret access key of this connection sits in the keychain."""
        return f"{self.name}/{self.access_key_id}"

    @property
    def who(self) -> str:
        return f"profile {self.profile}" if self.auth == "profile" else f"access key {self.access_key_id}"


def new_connection(**fields: object) -> Connection:
    """Build a connection, turning schema errors into InvalidInput that names each field."""
    try:
        return Connection.model_validate(fields)
    except ValidationError as error:
        problems = [Problem(field_path(e["loc"]) or "connection", rule_text(e)) for e in error.errors()]
        raise InvalidInput(problems, "connection") from None


class _Stored(BaseModel):
    version: int = 1
    default: str | None = None
    connections: list[Connection] = []


class ConnectionStore:
    """connections.json in the user's config directory (no secrets), written atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "connections.json"

    def _read(self) -> _Stored:
        if not self.path.exists():
            return _Stored()
        return _Stored.model_validate(json.loads(self.path.read_text(encoding="utf-8")))

    def _write(self, stored: _Stored) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(stored.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
        temporary.chmod(0o600)
        temporary.replace(self.path)

    def all(self) -> list[Connection]:
        return list(self._read().connections)

    def default_name(self) -> str | None:
        stored = self._read()
        if stored.default:
            return stored.default
        return stored.connections[0].name if len(stored.connections) == 1 else None

    def get(self, name: str) -> Connection | None:
        return next((c for c in self._read().connections if c.name == name), None)

    def add(self, connection: Connection, make_default: bool = False) -> None:
        stored = self._read()
        if any(c.name == connection.name for c in stored.connections):
            raise InvalidInput([Problem("name", f"a connection named '{connection.name}' already exists")])
        stored.connections.append(connection)
        if make_default:
            stored.default = connection.name
        self._write(stored)

    def remove(self, name: str) -> Connection | None:
        stored = self._read()
        found = next((c for c in stored.connections if c.name == name), None)
        if found:
            stored.connections = [c for c in stored.connections if c.name != name]
            if stored.default == name:
                stored.default = None
            self._write(stored)
        return found
