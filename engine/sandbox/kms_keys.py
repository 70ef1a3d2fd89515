"""moto gives every KMS key a 2048-bit RSA private key, symmetric ones included, which KMS never lets sign; each
sandbox account makes two such keys (the AWS-managed keys of DynamoDB's and EBS's encryption). Here a symmetric or
HMAC key gets its private key only if something asks for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import moto.kms.models as kms_models

from engine.sandbox.simulator import SandboxError

_LOCK = threading.Lock()
_installed = False


class _PrivateKeyWhenAsked:
    """Stands for moto's private key object; makes it on first use."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._make()
        return getattr(self._key, name)


def make_symmetric_keys_without_rsa() -> None:
    """Install once per process; SandboxError if moto's KMS no longer makes its keys this way."""
    global _installed
    with _LOCK:
        if _installed:
            return
        original = getattr(kms_models, "generate_private_key", None)
        init_names = getattr(getattr(kms_models.Key, "__init__", None), "__code__", None)
        if original is None or init_names is None or "generate_private_key" not in init_names.co_names:
            raise SandboxError("moto's internals changed: moto.kms.models.Key no longer calls generate_private_key")

        def generate_private_key(key_spec: str) -> Any:
            if key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("HMAC"):
                return _PrivateKeyWhenAsked(lambda: original(key_spec))
            return original(key_spec)

        setattr(kms_models, "generate_private_key", generate_private_key)  # noqa: B010 - moto re-exports it untyped
        _installed = True
