"""The drafts' secret values (their API keys) in the OS keychain: the `SecretKeeper` the entry point installs for
every `DraftStore` of the process. Where there is no keychain, keeping one is refused as for connections' keys."""

from __future__ import annotations

import logging
from typing import Final

from engine.drafts.keeper import KeeperUnavailable, use_keeper

ACCOUNT_PREFIX: Final = "draft:"

log = logging.getLogger(__name__)


class KeychainKeeper:
    """One keychain entry per draft (`draft:<id>`). keyring is imported on first use, not at start-up."""

    def keep(self, name: str, value: str) -> None:
        from lisa_desktop import keychain

        try:
            keychain.store_secret(ACCOUNT_PREFIX + name, value)
        except keychain.KeychainUnavailable as error:
            backend = getattr(error, "backend", None) or keychain.describe_backend()
            failure = getattr(error, "failure", None)
            why = (
                f"the OS keychain ({backend}) failed: {failure}"
                if failure
                else f"no OS keychain is available here ({backend})"
            )
            raise KeeperUnavailable(
                f"{why}; a draft's API key is never stored in a plain file, so this draft cannot be saved while it "
                "holds one: submit it now, or clear its API key"
            ) from None

    def recall(self, name: str) -> str | None:
        from lisa_desktop import keychain

        if not keychain.is_secure():
            return None
        try:
            return keychain.load_secret(ACCOUNT_PREFIX + name)
        except keychain.KeychainUnavailable as error:
            log.warning("the API key of draft %s cannot be read from the keychain: %s", name, error)
            return None

    def forget(self, name: str) -> None:
        from lisa_desktop import keychain

        if not keychain.is_secure():
            return
        try:
            keychain.delete_secret(ACCOUNT_PREFIX + name)
        except keychain.KeychainUnavailable as error:
            log.warning("the API key of draft %s cannot be removed from the keychain: %s", name, error)


def install() -> None:
    """Every DraftStore of this process made without a keeper of its own keeps its secrets in the keychain."""
    use_keeper(KeychainKeeper())
