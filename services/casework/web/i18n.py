"""English and French: gettext catalogues compiled when the app starts, the language chosen per user."""

from __future__ import annotations

import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request, session
from flask_babel import Babel, get_locale

LANGUAGES = {"en": "English", "fr": "Français"}
SOURCE = Path(__file__).parent / "translations"
_compiled: dict[str, tempfile.TemporaryDirectory[str]] = {}


def compiled_catalogues() -> str:
    """The .po files compiled to .mo in a directory of this process (the package may be read-only)."""
    if "dir" not in _compiled:
        target = tempfile.TemporaryDirectory(prefix="hrcase-translations-")
        for po in SOURCE.glob("*/LC_MESSAGES/*.po"):
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parent.parent.name)
            out = Path(target.name) / po.relative_to(SOURCE).with_suffix(".mo")
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as sink:
                write_mo(sink, catalogue)
        _compiled["dir"] = target
    return _compiled["dir"].name


def choose_locale() -> str:
    """The signed-in user's language; before sign-in, the one picked on the page or the browser's."""
    chosen = getattr(g, "locale", None) or session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(tuple(LANGUAGES)) or "en"


def install(app: Flask) -> None:
    Babel(app, locale_selector=choose_locale, default_translation_directories=compiled_catalogues())
    app.jinja_env.globals["get_locale"] = get_locale
