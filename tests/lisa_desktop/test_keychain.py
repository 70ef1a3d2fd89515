from __future__ import annotations

import pytest
from keyring.backends import chainer, fail, null

from lisa_desktop import keychain
from tests.keyrings import MemoryKeyring


def test_secret_round_trip_through_the_keychain(memory_keyring: MemoryKeyring) -> None:
    keychain.store_secret("prod/AKIAEXAMPLE", "s3cret")
    assert memory_keyring.secrets == {("lisa-desktop", "prod/AKIAEXAMPLE"): "s3cret"}
    assert keychain.load_secret("prod/AKIAEXAMPLE") == "s3cret"
    keychain.delete_secret("prod/AKIAEXAMPLE")
    keychain.delete_secret("prod/AKIAEXAMPLE")
    assert keychain.load_secret("prod/AKIAEXAMPLE") is None


@pytest.mark.usefixtures("no_keyring")
def test_no_keychain_is_refused_with_advice() -> None:
    with pytest.raises(keychain.KeychainUnavailable, match="AWS named profile") as caught:
        keychain.store_secret("prod/AKIA", "s3cret")
    assert "keyring.backends.fail" in str(caught.value)


def test_plaintext_and_null_backends_do_not_count_as_a_keychain() -> None:
    assert not keychain.is_secure(fail.Keyring())
    assert not keychain.is_secure(null.Keyring())
    plaintext = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})()
    assert not keychain.is_secure(plaintext)
    assert keychain.is_secure(MemoryKeyring())


def test_a_chainer_counts_only_when_it_holds_a_real_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    ring = chainer.ChainerBackend()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [null.Keyring()])
    assert not keychain.is_secure(ring)
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [null.Keyring(), MemoryKeyring()])
    assert keychain.is_secure(ring)
