"""The window's `ConnectionService`: the connections file, the OS keychain and AWS, through the same functions
as `lisa-desktop connections list | add | remove | test`."""

from __future__ import annotations

import argparse

from engine.errors import LisaDesktopError
from lisa_desktop import keychain
from lisa_desktop.connections import (
    ConnectionStore,
    add_connection,
    check_connection,
    new_connection,
    remove_connection,
)
from lisa_desktop.messages import describe
from ui.connection_service import ConnectionInfo, ConnectionTest, NewConnection


class StoredConnections:
    """`ui.connection_service.ConnectionService` over the user's connections file."""

    def __init__(self, store: ConnectionStore | None = None) -> None:
        self.store = store or ConnectionStore()

    def list(self) -> list[ConnectionInfo]:
        default = self.store.default_name()
        return [
            ConnectionInfo(c.name, c.who, c.region, c.deployment_prefix, c.endpoint_url, default=c.name == default)
            for c in self.store.all()
        ]

    def keychain_refusal(self) -> str | None:
        if keychain.is_secure():
            return None
        return str(keychain.KeychainUnavailable(keychain.describe_backend()))

    def add(self, connection: NewConnection) -> None:
        made = new_connection(
            name=connection.name,
            auth="profile" if connection.profile else "access-key",
            profile=connection.profile,
            access_key_id=connection.access_key_id,
            region=connection.region,
            deployment_prefix=connection.deployment_prefix,
            endpoint_url=connection.endpoint_url,
            account=connection.account,
        )
        add_connection(
            made, secret=lambda: connection.secret or "", make_default=connection.make_default, store=self.store
        )

    def remove(self, name: str) -> None:
        remove_connection(name, store=self.store)

    def make_default(self, name: str) -> None:
        self.store.set_default(name)

    def test(self, name: str) -> ConnectionTest:
        args = argparse.Namespace(
            sandbox=False, connection=name, endpoint_url=None, region=None, deployment_prefix=None
        )
        check = check_connection(args, store=self.store)
        return ConnectionTest(
            check.name, check.arn, check.account, check.region, check.prefix, check.table, check.models
        )

    def describe_error(self, error: BaseException) -> str:
        if isinstance(error, LisaDesktopError):
            return describe(error)
        if isinstance(error, keychain.KeychainUnavailable):
            return str(error)
        return f"{type(error).__name__}: {error}"
