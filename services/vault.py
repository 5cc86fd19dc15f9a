"""Identities of victims, witnesses and sources sealed with Fernet, under a key from configuration (ADR 8 and 10)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.private_files import private_folder

log = logging.getLogger(__name__)
PREFIX = "fernet:"
KEY_VARIABLE = "HRCASE_IDENTITY_KEY"
KEY_FILE_VARIABLE = "HRCASE_IDENTITY_KEY_FILE"  # the key read from a file instead
DEV_KEY_FILE = "identity.key"
# The digest key is derived from the identity key, never the key itself: a digest reveals nothing of the key.
DIGEST_INFO = b"hrcase:identities-digest:v1"
# The blind index of people (ADR 23) has a key of its own, derived the same way: never the identity key, never stored.
BLIND_INDEX_INFO = b"hrcase:people-blind-index:v1"


class MissingKey(RuntimeError):
    """No identity key is configured where one is required (the Kafka runtime, production)."""


class WrongKey(MissingKey):
    """Something sealed cannot be opened with any configured key (another installation's, or altered)."""


class IdentityVault:
    """Seals identities where a record enters hrcase, and opens them for those allowed to see them.

    Several keys may be configured (comma-separated, newest first): the first encrypts, all decrypt, so a key
    can be rotated without re-encrypting every row at once.
    """

    def __init__(self, keys: list[str] | str):
        names = [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]
        if not names:
            raise MissingKey(f"no identity key given; set {KEY_VARIABLE}")
        try:
            fernets = [Fernet(k.encode()) for k in names]
        except (ValueError, TypeError) as exc:
            raise MissingKey(f"{KEY_VARIABLE} is not a valid Fernet key (32 url-safe base64 bytes): {exc}") from None
        self._fernet = MultiFernet(fernets)
        self._digest_keys = [_digest_key(k) for k in names]
        self._blind_index_keys = [_digest_key(k, BLIND_INDEX_INFO) for k in names]

    @classmethod
    def generate(cls) -> IdentityVault:
        return cls(Fernet.generate_key().decode())

    @classmethod
    def from_env(cls, dev_dir: Path | None = None) -> IdentityVault:
        """The configured key; without one, a development key kept in `dev_dir` (never in production: see
        `Settings.vault`)."""
        configured = os.environ.get(KEY_VARIABLE, "")
        if not configured.strip() and os.environ.get(KEY_FILE_VARIABLE):  # a mounted secret (Kubernetes, systemd)
            path = Path(os.environ[KEY_FILE_VARIABLE])
            try:
                configured = path.read_text()
            except OSError as exc:
                raise MissingKey(f"{KEY_FILE_VARIABLE}={path} cannot be read: {exc.strerror}") from None
        if configured.strip():
            return cls(configured)
        if dev_dir is None:
            raise MissingKey(f"{KEY_VARIABLE} is not set: identities of victims and witnesses must be encrypted "
                             "with a key from configuration (generate one with `hrcase api keygen`)")
        return cls(_dev_key(Path(dev_dir)))

    def encrypt(self, data: bytes) -> str:
        return PREFIX + self._fernet.encrypt(data).decode()

    def decrypt(self, stored: str) -> bytes:
        """The bytes `encrypt` sealed, under any configured key; WrongKey if none opens them."""
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode())
        except (InvalidToken, UnicodeEncodeError):
            raise WrongKey(f"identities cannot be decrypted with the configured {KEY_VARIABLE}") from None

    def seal(self, identities: Any) -> str:
        return self.encrypt(json.dumps(identities, sort_keys=True, separators=(",", ":")).encode())

    def open(self, stored: str | None) -> dict[str, Any]:
        if not stored:
            return {}
        if not stored.startswith(PREFIX):  # written before encryption at rest existed
            data: dict[str, Any] = json.loads(stored)
            return data
        opened: dict[str, Any] = json.loads(self.decrypt(stored))
        return opened

    def digests(self, data: bytes) -> list[str]:
        """HMAC-SHA256 of `data` under each configured key's digest key, newest first: equal for equal data
        whatever the ciphertext, and no guessing of names from it without the key."""
        return [hmac.new(key, data, hashlib.sha256).hexdigest() for key in self._digest_keys]

    def blind_index_keys(self) -> list[bytes]:
        """The keys of the blind index of people, newest first: the first writes the index, all are asked in a
        lookup (so a key rotation keeps finding people until `hrcase people reindex` has run)."""
        return list(self._blind_index_keys)


def _digest_key(name: str, info: bytes = DIGEST_INFO) -> bytes:
    raw = base64.urlsafe_b64decode(name.encode())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(raw)


def _dev_key(directory: Path) -> str:
    path = directory / DEV_KEY_FILE
    private_folder(directory)
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
