"""Identities of victims, witnesses and sources encrypted at rest with Fernet, under a key from configuration."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)
PREFIX = "fernet:"
KEY_VARIABLE = "HRCASE_IDENTITY_KEY"
DEV_KEY_FILE = "identity.key"


class MissingKey(RuntimeError):
    """No identity key is configured where one is required (the Kafka runtime, production)."""


class IdentityVault:
    """Seals the identities record of a case before it is stored, and opens it for those allowed to see it.

    Several keys may be configured (comma-separated, newest first): the first encrypts, all decrypt, so a key
    can be rotated without re-encrypting every row at once.
    """

    def __init__(self, keys: list[str] | str):
        names = [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]
        if not names:
            raise MissingKey(f"no identity key given; set {KEY_VARIABLE}")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in names])
        except (ValueError, TypeError) as exc:
            raise MissingKey(f"{KEY_VARIABLE} is not a valid Fernet key (32 url-safe base64 bytes): {exc}") from None

    @classmethod
    def generate(cls) -> IdentityVault:
        return cls(Fernet.generate_key().decode())

    @classmethod
    def from_env(cls, dev_dir: Path | None = None) -> IdentityVault:
        """The configured key; without one, a development key kept in `dev_dir` (embedded runtime only)."""
        configured = os.environ.get(KEY_VARIABLE, "")
        if configured.strip():
            return cls(configured)
        if dev_dir is None:
            raise MissingKey(f"{KEY_VARIABLE} is not set: identities of victims and witnesses must be encrypted "
                             "with a key from configuration (generate one with `hrcase api keygen`)")
        return cls(_dev_key(Path(dev_dir)))

    def seal(self, identities: dict[str, Any]) -> str:
        text = json.dumps(identities, sort_keys=True, separators=(",", ":"))
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str | None) -> dict[str, Any]:
        if not stored:
            return {}
        if not stored.startswith(PREFIX):  # written before encryption at rest existed
            data: dict[str, Any] = json.loads(stored)
            return data
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(stored[len(PREFIX):].encode()))
        except InvalidToken:
            raise MissingKey(f"identities cannot be decrypted with the configured {KEY_VARIABLE}") from None
        return opened


def _dev_key(directory: Path) -> str:
    path = directory / DEV_KEY_FILE
    directory.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made before, or by a process starting beside this one: use that one
        return _read_key(path)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    log.warning("no %s set: generated a development identity key in %s (not for production)", KEY_VARIABLE, path)
    return key


def _read_key(path: Path, wait: float = 5.0) -> str:
    deadline = time.monotonic() + wait
    while not (text := path.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)  # the other process has created the file and is writing the key
    return text
