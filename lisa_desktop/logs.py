"""The log of the window and the command line: one rotating file under the user's log directory, set up once by
the entry point. Secret values never reach it: a filter masks the keychain's secrets and anything that reads
like an API key, a management key or an AWS secret key."""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Final

import platformdirs

from engine import secrets
from lisa_desktop import APP_DIR_NAME

LOG_DIR_ENV: Final = "LISA_DESKTOP_LOG_DIR"
FILE_NAME: Final = "lisa-desktop.log"
MAX_BYTES: Final = 2 * 1024 * 1024
BACKUPS: Final = 3
MASK: Final = secrets.MASK
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
QUIET: Final = ("botocore", "boto3", "urllib3", "s3transfer", "asyncio", "qasync", "keyring")
"""Libraries whose INFO and DEBUG lines would drown ours (warnings still come through)."""

_SECRET_FIELD: Final = re.compile(
    r"""(?ix)
    (?P<key>["']?(?:api[_-]?key|x-api-key|management[_-]?key|aws_secret_access_key|secret[_-]?access[_-]?key
        |secret_?key|password|authorization|SecretString)["']?\s*[:=]\s*["']?)
    (?:(?:bearer|basic)\s+)?
    (?P<value>[^\s"',}]+)
    """
)
_secrets: set[str] = set()
_lock = threading.Lock()
_configured = False


def log_dir() -> Path:
    override = os.environ.get(LOG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


def log_file() -> Path:
    return log_dir() / FILE_NAME


def add_secret(value: str | None) -> None:
    """Mask this value wherever it would appear in the log (a secret read from the keychain, say)."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def mask(text: str) -> str:
    """`text` with every known secret, and every value of a field that reads like a secret, masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    return _SECRET_FIELD.sub(lambda found: found.group("key") + MASK, text)


class SecretFilter(logging.Filter):
    """Formats each record's message and traceback once, masked, so no handler sees the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = mask(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        record.exc_info = None if record.exc_text else record.exc_info
        record.msg, record.args = message, None
        return True


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating file whose every generation is created 0600 (the log names models, roles and accounts)."""

    def _open(self) -> io.TextIOWrapper:
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(descriptor, "a", encoding=self.encoding, errors=self.errors)


def configure_logging(level: int = logging.INFO) -> Path | None:
    """Log to the rotating file (in a 0700 folder), once per process. Returns the file, or None when it cannot be
    written: then warnings go to standard error instead."""
    global _configured
    if _configured:
        return log_file() if _file_handler() is not None else None
    _configured = True
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    path: Path | None = log_file()
    assert path is not None
    handler: logging.Handler
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as error:
        print(f"lisa-desktop: cannot write the log file {path} ({error}); logging to standard error", file=sys.stderr)
        handler, path = logging.StreamHandler(sys.stderr), None
        handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(SecretFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return path


def _file_handler() -> PrivateRotatingFileHandler | None:
    return next((h for h in logging.getLogger().handlers if isinstance(h, PrivateRotatingFileHandler)), None)
