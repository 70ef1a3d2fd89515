"""The window's `ConnectionService`: the connections file, the OS keychain and AWS, through the same functions
as `lisa-desktop connections list | add | remove | test`."""

from __future__ import annotations

import argparse

from engine.errors import InvalidInput, LisaDesktopError, Problem
from lisa_desktop import __version__, keychain
from lisa_desktop.connections import (
    Connection,
    ConnectionStore,
    add_connection,
    check_connection,
    check_profile,
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
            ConnectionInfo(c.name, _credentials(c), c.region, c.deployment_prefix, c.endpoint_url, c.name == default)
            for c in self.store.all()
        ]

    def keychain_refusal(self) -> str | None:
        if keychain.is_secure():
            return None
        return str(keychain.KeychainUnavailable(keychain.describe_backend()))

    def add(self, connection: NewConnection) -> None:
        auth = "profile" if connection.profile else "access-key" if connection.access_key_id else "lisa-api"
        made = new_connection(
            name=connection.name,
            auth=auth,
            profile=connection.profile,
            access_key_id=connection.access_key_id,
            region=connection.region,
            deployment_prefix=connection.deployment_prefix,
            endpoint_url=connection.endpoint_url,
            account=connection.account,
            lisa_api_url=connection.lisa_api_url,
        )
        add_connection(
            made,
            secret=lambda: connection.secret or "",
            make_default=connection.make_default,
            store=self.store,
            token=lambda: connection.lisa_api_token or "",
        )

    def read_lisa_api_url(self, connection: NewConnection) -> str:
        return read_lisa_api_url(connection)

    def remove(self, name: str) -> None:
        remove_connection(name, store=self.store)

    def make_default(self, name: str) -> None:
        self.store.set_default(name)

    def test(self, name: str) -> ConnectionTest:
        from lisa_desktop.target import lisa_api_of

        stored = self.store.get(name)
        api_url = stored.lisa_api_url if stored is not None else None
        api_models = len(lisa_api_of(stored).list_models()) if stored is not None and api_url else None
        if stored is not None and stored.auth == "lisa-api":
            return ConnectionTest(name, "", "", stored.region, stored.deployment_prefix, "", 0, api_url, api_models)
        args = argparse.Namespace(
            sandbox=False, connection=name, endpoint_url=None, region=None, deployment_prefix=None
        )
        check = check_connection(args, store=self.store)
        return ConnectionTest(
            check.name,
            check.arn,
            check.account,
            check.region,
            check.prefix,
            check.table,
            check.models,
            api_url,
            api_models,
        )

    def describe_error(self, error: BaseException) -> str:
        if isinstance(error, LisaDesktopError):
            return describe(error)
        if isinstance(error, keychain.KeychainUnavailable):
            return str(error)
        return f"{type(error).__name__}: {error}"


def read_lisa_api_url(connection: NewConnection) -> str:
    """SSM `<prefix>/LisaApiUrl` read with the form's credentials (a profile, or an access key and its secret),
    nothing stored. InvalidInput naming what the form lacks; DeploymentNotFound when LISA published no URL."""
    from engine.aws.clients import AwsClients
    from engine.aws.sessions import new_session
    from engine.lisa_api.deployment import read_lisa_api_url as engine_read_lisa_api_url

    if not connection.region or not connection.deployment_prefix:
        raise InvalidInput([Problem("Region / Deployment prefix", "are needed to read LISA's API URL")], "connection")
    if connection.profile:
        check_profile(connection.profile)
        session = new_session(profile_name=connection.profile, region_name=connection.region)
    elif connection.access_key_id and connection.secret:
        session = new_session(
            aws_access_key_id=connection.access_key_id,
            aws_secret_access_key=connection.secret,
            region_name=connection.region,
        )
    else:
        raise InvalidInput(
            [Problem("Credentials", "reading LISA's API URL needs AWS credentials: a profile, or an access key")],
            "connection",
        )
    clients = AwsClients(session, version=__version__, endpoint_url=connection.endpoint_url)
    return engine_read_lisa_api_url(clients, connection.deployment_prefix)


def _credentials(connection: Connection) -> str:
    """How the connection reaches the deployment, as the connections list says it."""
    if connection.auth != "lisa-api" and connection.lisa_api_url:
        return f"{connection.who}; changes through LISA's API"
    return connection.who
