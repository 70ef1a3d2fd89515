"""AWS secret keys live in the OS keychain (keyring), never in a plain file.

When the machine has no keychain (headless Linux without a Secret Service), storing a secret is refused
with advice to use an AWS named profile instead; there is no silent fallback to a plaintext store. A keychain
that is there but fails (locked, its service not answering) is reported the same way, with its error.

keyring is imported when a secret is first asked for, not with this module: it loads its backends' entry points
(importlib_metadata, jaraco, email), which the window of a deployment opened without a stored secret (a named
profile, the sandbox) never needs, and every object they leave lengthens the window's garbage collections.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from engine.errors import LisaDesktopError
from lisa_desktop.logs import add_secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

T = TypeVar("T")

SERVICE = "lisa-desktop"
_NOT_A_KEYCHAIN = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class KeychainUnavailable(LisaDesktopError):
    """No secure OS keychain is available on this machine, or it failed when asked."""

    def __init__(self, backend: str, failure: str | None = None) -> None:
        self.backend = backend
        self.failure = failure
        if failure:
            super().__init__(
                f"the OS keychain ({backend}) failed: {failure}. Unlock it (or start its service) and try again, "
                "or use an AWS named profile instead (aws configure --profile NAME, or aws configure sso)"
            )
            return
        super().__init__(
            f"no OS keychain is available here ({backend}); secret keys are never stored in plain files. "
            "Use an AWS named profile instead (aws configure --profile NAME, or aws configure sso), "
            "then: lisa-desktop connections add NAME --profile NAME ..."
        )


def backend() -> KeyringBackend:
    import keyring

    return keyring.get_keyring()


def describe_backend(ring: KeyringBackend | None = None) -> str:
    ring = ring or backend()
    return f"{type(ring).__module__}.{type(ring).__name__}"


def is_secure(ring: KeyringBackend | None = None) -> bool:
    """A real keychain: not keyring's fail/null backends, not keyrings.alt's plaintext files, not empty."""
    ring = ring or backend()
    module = type(ring).__module__
    if module.startswith(_NOT_A_KEYCHAIN):
        return False
    children = getattr(ring, "backends", None)
    if children is not None:
        return any(is_secure(child) for child in children)
    return True


def _require() -> KeyringBackend:
    ring = backend()
    if not is_secure(ring):
        raise KeychainUnavailable(describe_backend(ring))
    return ring


def _asking(call: Callable[[KeyringBackend], T]) -> T:
    """`call` on the keychain, its failures (locked, no D-Bus session, ...) as KeychainUnavailable."""
    import keyring.errors

    ring = _require()
    try:
        return call(ring)
    except keyring.errors.PasswordDeleteError:
        raise
    except (keyring.errors.KeyringError, OSError) as error:
        raise KeychainUnavailable(describe_backend(ring), str(error) or type(error).__name__) from None


def store_secret(account: str, secret: str) -> None:
    add_secret(secret)
    _asking(lambda ring: ring.set_password(SERVICE, account, secret))


def load_secret(account: str) -> str | None:
    secret = _asking(lambda ring: ring.get_password(SERVICE, account))
    add_secret(secret)
    return secret


def delete_secret(account: str) -> None:
    import keyring.errors

    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        _asking(lambda ring: ring.delete_password(SERVICE, account))
