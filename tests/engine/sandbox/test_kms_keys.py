"""The sandbox's KMS keys: a symmetric key encrypts and decrypts without moto making it an RSA key; an asymmetric key
still signs and verifies."""

from __future__ import annotations

from moto.kms.models import kms_backends

from engine.sandbox.server import Sandbox


def test_a_symmetric_key_works_without_an_rsa_key_and_an_asymmetric_one_still_signs(shared_sandbox: Sandbox) -> None:
    kms = shared_sandbox.client("kms")
    symmetric = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=symmetric, Plaintext=b"model weights")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"model weights"
    backend = kms_backends[shared_sandbox.account_id][shared_sandbox.region]
    assert backend.keys[symmetric].private_key._key is None  # the RSA key was never made

    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    verified = kms.verify(KeyId=signing, Message=b"m", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert verified["SignatureValid"] is True
    assert kms.get_public_key(KeyId=signing)["PublicKey"]


def test_the_accounts_managed_keys_were_made_without_rsa(shared_sandbox: Sandbox) -> None:
    """The seeded deployment encrypts its tables and its instances' volumes: moto made their AWS-managed keys."""
    backend = kms_backends[shared_sandbox.account_id][shared_sandbox.region]
    managed = [key for key in backend.keys.values() if key.key_spec == "SYMMETRIC_DEFAULT"]
    assert managed
    assert all(key.private_key._key is None for key in managed)
