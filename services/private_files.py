"""Folders and files that hold case data (databases, keys, exports, reports): for the service's account only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path | str) -> Path:
    """The folder, made 0700 if it is missing (a folder that exists, the operator's, keeps its mode)."""
    folder = Path(path)
    if not folder.is_dir():
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        folder.chmod(FOLDER_MODE)  # mkdir's mode went through the umask
    return folder


def private_file(path: Path | str) -> Path:
    """The file made 0600 (empty) if missing, and brought to 0600 if it exists: an SQLite database, whose -wal and
    -shm files SQLite creates with the database's own mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return Path(path)


def open_private(path: Path | str, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """`open(path, "w")` for a file that nobody but this account may read, however the umask is set."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # a file that existed keeps its mode through O_CREAT
    return os.fdopen(fd, mode, **kwargs)


def write_private(path: Path | str, text: str) -> Path:
    with open_private(path, "w", encoding="utf-8") as out:
        out.write(text)
    return Path(path)
