"""AWS secret keys live in the OS keychain (keyring), never in a plain file.

When the machine has no keychain (headless Linux without a Secret Service), storing a secret is refused
with advice to use an AWS named profile instead; there is no silent fallback to a plaintext store.
"""

from __future__ import annotations

import contextlib

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

SERVICE = "lisa-desktop"
_NOT_A_KEYCHAIN = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class KeychainUnavailable(RuntimeError):
    """No secure OS keychain is available on this machine."""

    def __init__(self, backend: str) -> None:
        super().__init__(
            f"no OS keychain is available here ({backend}); secret keys are never stored in plain files. "
            "Use an AWS named profile instead (aws configure --profile NAME, or aws configure sso), "
            "then: lisa-desktop connections add NAME --profile NAME ..."
        )


def backend() -> KeyringBackend:
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


def store_secret(account: str, secret: str) -> None:
    _require().set_password(SERVICE, account, secret)


def load_secret(account: str) -> str | None:
    return _require().get_password(SERVICE, account)


def delete_secret(account: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        _require().delete_password(SERVICE, account)
