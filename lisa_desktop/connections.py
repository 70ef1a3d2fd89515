"""Named connections to LISA deployments, stored without secrets under the user's config directory.

Keys this version does not know (written by a newer one) are kept and written back, and otherwise ignored."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import InvalidInput, Problem
from engine.private_files import private_dir, write_private_text
from engine.schema.problems import field_path, rule_text
from lisa_desktop import APP_DIR_NAME
from lisa_desktop.user_files import UnreadableFile

CONFIG_DIR_ENV = "LISA_DESKTOP_CONFIG_DIR"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


class Connection(BaseModel):
    """How to reach one deployment. An access key's secret is in the OS keychain, never here."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    auth: Literal["profile", "access-key", "lisa-api"]
    """`lisa-api`: LISA's REST API only (team mode), no AWS credentials."""
    profile: str | None = None
    access_key_id: str | None = None
    region: str = Field(min_length=1)
    deployment_prefix: str
    endpoint_url: str | None = None
    account: str | None = None
    """The AWS account the deployment is in, when known: credentials of another account are named as such."""
    lisa_api_url: str | None = None
    """Team mode: LISA's API (its LisaApiUrl); the token is in the OS keychain (`lisa_api_keychain_account`)."""
    lisa_api_token_source: Literal["keychain", "management-key"] | None = None
    """Where LISA's API token comes from: `management-key` the deployment's management key, read from Secrets
    Manager with the connection's AWS credentials at each use and never stored; else (None, `keychain`) a LISA API
    token kept in the OS keychain."""

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

    @field_validator("account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{12}", value):
            raise ValueError("must be a 12-digit AWS account id")
        return value

    @field_validator("endpoint_url", "lisa_api_url")
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
        if self.auth == "lisa-api" and not self.lisa_api_url:
            raise ValueError("a connection without AWS credentials needs --lisa-api")
        if self.uses_management_key and (self.auth == "lisa-api" or not self.lisa_api_url):
            raise ValueError(
                "--lisa-api-token management reads the management key with AWS credentials: it needs --lisa-api "
                "and --profile or --access-key-id"
            )
        return self

    @property
    def keychain_account(self) -> str:
        """Where the secret access key of this connection sits in the keychain."""
        return f"{self.name}/{self.access_key_id}"

    @property
    def uses_management_key(self) -> bool:
        return self.lisa_api_token_source == "management-key"

    @property
    def lisa_api_keychain_account(self) -> str:
        """Where the LISA API token of this connection sits in the keychain."""
        return f"{self.name}/lisa-api"

    @property
    def who(self) -> str:
        if self.auth == "lisa-api":
            return "LISA API token"
        return f"profile {self.profile}" if self.auth == "profile" else f"access key {self.access_key_id}"


def new_connection(**fields: object) -> Connection:
    """Build a connection, turning schema errors into InvalidInput that names each field."""
    unknown = sorted(set(fields) - set(Connection.model_fields))
    if unknown:
        raise InvalidInput([Problem(name, "is not a connection field") for name in unknown], "connection")
    try:
        return Connection.model_validate(fields)
    except ValidationError as error:
        problems = [Problem(field_path(e["loc"]) or "connection", rule_text(e)) for e in error.errors()]
        raise InvalidInput(problems, "connection") from None


class _Stored(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: int = 1
    default: str | None = None
    connections: list[Connection] = []


class ConnectionStore:
    """connections.json in the user's config directory (no secrets), written atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "connections.json"

    def _read(self) -> _Stored:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _Stored()
        except (OSError, UnicodeDecodeError) as error:
            raise self._unreadable(getattr(error, "strerror", None) or str(error)) from None
        try:
            return _Stored.model_validate(json.loads(text))
        except json.JSONDecodeError as error:
            raise self._unreadable(f"not valid JSON: {error}") from None
        except ValidationError as error:
            first = error.errors()[0]
            where = field_path(first["loc"]) or "the file"
            raise self._unreadable(f"{where}: {rule_text(first)}") from None

    def _unreadable(self, reason: str) -> UnreadableFile:
        return UnreadableFile(self.path, "the connections file", reason, "no connections")

    def _write(self, stored: _Stored) -> None:
        private_dir(self.path.parent)
        temporary = self.path.with_suffix(".tmp")
        write_private_text(temporary, stored.model_dump_json(indent=2, exclude_none=True) + "\n")
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

    def set_default(self, name: str) -> None:
        """Use connection `name` when none is named."""
        stored = self._read()
        if not any(c.name == name for c in stored.connections):
            raise InvalidInput([Problem("name", f"no connection named '{name}'")])
        stored.default = name
        self._write(stored)


# -- what `connections add | remove | test` do, from the command line or the window ------------------------------


def check_profile(profile: str) -> None:
    """InvalidInput unless boto3 knows the profile (in ~/.aws/config or ~/.aws/credentials)."""
    import boto3

    known = boto3.Session().available_profiles
    if profile not in known:
        listed = f"the profiles configured are: {', '.join(sorted(known))}" if known else "no profile is configured"
        raise InvalidInput(
            [
                Problem(
                    "--profile",
                    f"the AWS profile '{profile}' is not configured on this machine ({listed}); create it with "
                    f"aws configure --profile {profile} (or aws configure sso), then add the connection again",
                )
            ],
            "connection",
        )


def add_connection(
    connection: Connection,
    *,
    secret: Callable[[], str] | None = None,
    make_default: bool = False,
    store: ConnectionStore | None = None,
    token: Callable[[], str] | None = None,
) -> None:
    """Check and store a new connection: its profile must exist; an access key's secret (`secret()`, asked for
    only once everything else is checked) and a LISA API token (`token()`) go into the OS keychain, refused where
    there is none."""
    from lisa_desktop import keychain

    if connection.profile:
        check_profile(connection.profile)
    store = store or ConnectionStore()
    if store.get(connection.name):
        raise InvalidInput([Problem("name", f"a connection named '{connection.name}' already exists")])
    if connection.auth == "access-key":
        if not keychain.is_secure():
            raise keychain.KeychainUnavailable(keychain.describe_backend())
        value = secret() if secret is not None else ""
        if not value:
            raise InvalidInput([Problem("secret access key", "is required (give it on standard input)")])
        keychain.store_secret(connection.keychain_account, value)
    if connection.lisa_api_url and not connection.uses_management_key:
        if not keychain.is_secure():
            raise keychain.KeychainUnavailable(keychain.describe_backend())
        api_token = token() if token is not None else ""
        if not api_token:
            raise InvalidInput([Problem("LISA API token", "is required (give it on standard input)")])
        keychain.store_secret(connection.lisa_api_keychain_account, api_token)
    store.add(connection, make_default=make_default)


def remove_connection(name: str, *, store: ConnectionStore | None = None) -> Connection:
    """Remove the connection and its keychain secret."""
    from lisa_desktop import keychain

    removed = (store or ConnectionStore()).remove(name)
    if removed is None:
        raise InvalidInput([Problem("name", f"no connection named '{name}'")])
    if removed.auth == "access-key" and keychain.is_secure():
        keychain.delete_secret(removed.keychain_account)
    if removed.lisa_api_url and not removed.uses_management_key and keychain.is_secure():
        keychain.delete_secret(removed.lisa_api_keychain_account)
    return removed


@dataclass(frozen=True)
class ConnectionCheck:
    """What testing a connection found: who the credentials are, and the deployment's models table."""

    name: str
    arn: str
    account: str
    region: str
    prefix: str
    table: str
    models: int


def check_connection(args: argparse.Namespace, *, store: ConnectionStore | None = None) -> ConnectionCheck:
    """Who am I (STS), and can I read the models table of the deployment `args.connection` names (blocking)?"""
    from engine.aws.discovery import caller_identity
    from engine.aws.models_table import ModelsTable
    from lisa_desktop.target import open_target

    with open_target(args, store=store) as target:
        identity = caller_identity(target.clients)
        deployment = target.deployment()
        count = len(ModelsTable(target.clients, deployment.models_table_name).scan())
    return ConnectionCheck(
        str(args.connection),
        identity.arn,
        identity.account,
        target.clients.region,
        deployment.prefix,
        deployment.models_table_name,
        count,
    )
