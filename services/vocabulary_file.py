"""The installation's vocabulary file (HRCASE_VOCABULARIES): checked against the shipped terms, re-read on change."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from reference.vocabularies import Vocabularies, VocabularyError, check_evolution, dump, parse, shipped
from schemas import vocabulary

log = logging.getLogger(__name__)
LOOK_EVERY = 1.0  # seconds between looks at the file for an admin's change
_installed: list[Watched] = []  # the file this process takes its terms from, once `install`ed


class VocabularyFileError(ValueError):
    """The vocabulary file cannot be read, is malformed, or renumbers a term; the message names the file and term."""


def load(path: Path) -> Vocabularies:
    """The vocabularies in `path`, refused unless they only add to and retire the shipped ones (never renumber)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise VocabularyFileError(f"vocabulary file {path}: cannot read it ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise VocabularyFileError(f"vocabulary file {path}: not valid JSON ({exc})") from None
    try:
        found = parse(data)
        check_evolution(shipped(), found)
    except VocabularyError as exc:
        raise VocabularyFileError(f"vocabulary file {path}: {exc}") from None
    return found


def in_effect(path: Path | None) -> Vocabularies:
    """The settings' file, or the shipped vocabularies when the settings name none (or the file is not made yet)."""
    return load(path) if path is not None and path.exists() else shipped()


def save(path: Path, before: Vocabularies, after: Vocabularies) -> None:
    """Write the next version in place of `before`, atomically (a reader sees the old file or the new, whole)."""
    try:
        check_evolution(before, after)
    except VocabularyError as exc:
        raise VocabularyFileError(str(exc)) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as out:
        json.dump(dump(after), out, ensure_ascii=False, indent=1)
        out.write("\n")
    os.replace(out.name, path)
    if _installed and _installed[0].path == path:  # this process's own change is in effect at once
        _installed[0].look_now()


class Watched:
    """The file's vocabularies, re-read when it changes, so every service sees an admin's addition as it is made.

    A change that renumbers a term (written by hand, past `hrcase vocabulary`) is refused and logged: the last good
    version stays in effect, and a worker never stops on it."""

    def __init__(self, path: Path, look_every: float = LOOK_EVERY):
        self.path, self.look_every = path, look_every
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._looked = time.monotonic()
        self._vocabularies = in_effect(path)  # at start a bad file is an error: the service refuses to start

    def _stat(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_mtime_ns, found.st_size

    def __call__(self) -> Vocabularies:
        now = time.monotonic()
        if now - self._looked < self.look_every:  # every event asks: the file is looked at once a second at most
            return self._vocabularies
        self._looked = now
        stamp = self._stat()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._reload(stamp)
        return self._vocabularies

    def look_now(self) -> None:
        """Look at the file at the next use, whenever it was last looked at."""
        self._looked = -float("inf")

    def _reload(self, stamp: tuple[int, int] | None) -> None:
        self._stamp = stamp
        try:
            found = in_effect(self.path)
            check_evolution(self._vocabularies, found)
        except (VocabularyFileError, VocabularyError) as exc:
            log.error("vocabulary file %s changed and is refused; version %s stays in effect: %s",
                      self.path, self._vocabularies.version, exc)
            return
        log.info("vocabularies version %s in effect, from %s", found.version, self.path)
        self._vocabularies = found


def install(path: Path | None) -> Vocabularies:
    """Make the settings' vocabulary file this process's source of terms; refuses (raises) a bad file."""
    _installed.clear()
    if path is None:
        vocabulary.use(shipped)
        return shipped()
    watched = Watched(path)
    _installed.append(watched)
    vocabulary.use(watched)
    log.info("vocabularies version %s in effect, from %s", watched().version, path)
    return watched()
