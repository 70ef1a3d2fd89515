"""What the Connections dialog needs from the composition root, as an interface: the window never reads the
connections file, the keychain or AWS itself. Every method blocks: the dialog calls them on a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ConnectionInfo:
    name: str
    credentials: str
    """`profile NAME` or `access key AKIA…` (its secret is in the OS keychain)."""
    region: str
    deployment_prefix: str
    endpoint_url: str | None = None
    default: bool = False


@dataclass(frozen=True)
class NewConnection:
    """A connection to add: `profile`, or `access_key_id` with `secret` (kept in the OS keychain only), or neither
    (LISA's API only); with `lisa_api_url`, changes go through LISA's API with `lisa_api_token` (kept in the OS
    keychain only)."""

    name: str
    region: str
    deployment_prefix: str
    profile: str | None = None
    access_key_id: str | None = None
    secret: str | None = None
    endpoint_url: str | None = None
    account: str | None = None
    make_default: bool = False
    lisa_api_url: str | None = None
    lisa_api_token: str | None = None

    @property
    def aws_credentials(self) -> bool:
        return bool(self.profile or self.access_key_id)


@dataclass(frozen=True)
class ConnectionTest:
    """Who the connection's credentials are, and the deployment's models table as they can read it."""

    name: str
    arn: str
    account: str
    region: str
    deployment_prefix: str
    table: str
    models: int
    lisa_api_url: str | None = None
    lisa_api_models: int | None = None
    """How many models LISA's API lists for the connection's token."""

    def describe(self) -> str:
        api = ""
        if self.lisa_api_url is not None:
            count = self.lisa_api_models
            api = f" LISA's API at {self.lisa_api_url} answers: {count} model{'s' if count != 1 else ''}."
        if not self.arn:
            return f"'{self.name}' works through LISA's API only (no AWS access).{api}"
        return (
            f"'{self.name}' works: you are {self.arn} (account {self.account}) in {self.region}; deployment "
            f"{self.deployment_prefix} has {self.models} model{'s' if self.models != 1 else ''} in table {self.table}."
            + api
        )


class ConnectionService(Protocol):
    def list(self) -> list[ConnectionInfo]:
        """Every configured connection, the default marked. Raises when the connections file cannot be read."""
        ...

    def keychain_refusal(self) -> str | None:
        """None when an access key's secret can be stored; else why not (no OS keychain here)."""
        ...

    def add(self, connection: NewConnection) -> None:
        """Check and store it as `lisa-desktop connections add` does; raises naming what is wrong."""
        ...

    def read_lisa_api_url(self, connection: NewConnection) -> str:
        """LISA's API URL as the deployment publishes it (SSM `<prefix>/LisaApiUrl`), read with the connection's
        AWS credentials (calls AWS). Raises naming what is missing or refused."""
        ...

    def remove(self, name: str) -> None:
        """Remove it and its keychain secret."""
        ...

    def make_default(self, name: str) -> None: ...

    def test(self, name: str) -> ConnectionTest:
        """Who am I, and how many models can I read (calls AWS). Raises when the connection does not work."""
        ...

    def describe_error(self, error: BaseException) -> str:
        """One readable line for an error raised by the methods above."""
        ...
