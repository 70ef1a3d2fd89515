"""Where the secret values of drafts are kept: never in the drafts file, but in a `SecretKeeper` (the OS keychain),
one entry per draft. The engine cannot reach the keychain (the composition root wraps it): `use_keeper` installs
the process's keeper, which a `DraftStore` made without one uses.
"""

from __future__ import annotations

from typing import Final, Protocol

from engine.errors import ConfigFileError


class KeeperUnavailable(ConfigFileError):
    """No keeper can hold a secret here (no OS keychain): a draft that holds one cannot be saved."""


class SecretKeeper(Protocol):
    def keep(self, name: str, value: str) -> None:
        """Store `value` under `name`, replacing what was there; KeeperUnavailable when it cannot."""
        ...

    def recall(self, name: str) -> str | None:
        """What is stored under `name`; None when nothing is (or nothing can be)."""
        ...

    def forget(self, name: str) -> None:
        """Remove what is stored under `name`, if anything is."""
        ...


NO_KEEPER_REFUSAL: Final = (
    "no OS keychain is set up for this program; a draft's API key is never stored in a plain file, so a draft "
    "holding one cannot be saved: submit it now, or clear the API key"
)


class NoKeeper:
    """Keeps nothing: what a process has before its composition root installs a keeper."""

    def keep(self, name: str, value: str) -> None:
        raise KeeperUnavailable(NO_KEEPER_REFUSAL)

    def recall(self, name: str) -> str | None:
        return None

    def forget(self, name: str) -> None:
        return None


_installed: SecretKeeper = NoKeeper()


def use_keeper(keeper: SecretKeeper) -> None:
    """Make `keeper` the one every `DraftStore` made without a keeper of its own uses from now on."""
    global _installed
    _installed = keeper


def installed_keeper() -> SecretKeeper:
    return _installed
