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
    """A connection to add: `profile`, or `access_key_id` with `secret` (kept in the OS keychain only)."""

    name: str
    region: str
    deployment_prefix: str
    profile: str | None = None
    access_key_id: str | None = None
    secret: str | None = None
    endpoint_url: str | None = None
    account: str | None = None
    make_default: bool = False


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

    def describe(self) -> str:
        return (
            f"'{self.name}' works: you are {self.arn} (account {self.account}) in {self.region}; deployment "
            f"{self.deployment_prefix} has {self.models} model{'s' if self.models != 1 else ''} in table {self.table}."
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
