"""What a client needs to reach a sandbox, importable without moto (which takes seconds to import)."""

from typing import Final

SANDBOX_PREFIX: Final = "/sandbox/lisa"
SANDBOX_REGION: Final = "us-east-1"
SANDBOX_DEPLOYMENT_NAME: Final = "lisa"
SANDBOX_ACCOUNT_ID: Final = "111122223333"
SANDBOX_ACCESS_KEY: Final = "AKIASANDBOXLISADESK0"
SANDBOX_SECRET_KEY: Final = "sandbox/not-a-real-secret/lisa-desktop-00"
LOOPBACK: Final = "127.0.0.1"
