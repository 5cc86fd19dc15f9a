"""English and French: gettext catalogues compiled when the app starts, the language chosen per user."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale, get_translations

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


class RequestDomain(Domain):
    """flask-babel's domain, its catalogue found once per request: flask-babel finds it again for every string
    translated (its context, its locale's name, its cache), a fifth of a list page's rendering. Kept where
    flask-babel's `refresh()` and `force_locale()` clear it, so a language changed within a request still applies."""

    def get_translations(self) -> NullTranslations:
        found = _kept()
        if found is None:
            found = super().get_translations()
            if g:  # flask-babel made its namespace of the request in finding them
                g._flask_babel.babel_translations = found
        return found


def _kept() -> NullTranslations | None:
    return getattr(_babel_space(), "babel_translations", None)


def _babel_space() -> object | None:
    """flask-babel's namespace of the request (its locale, its catalogue), looked up once: each use of the `g` proxy
    looks it up again, a third of a string's translation, a few hundred a list page."""
    return getattr(g._get_current_object(), "_flask_babel", None) if has_app_context() else None


def language() -> str:
    """The request's language ("en", "fr"; "en" outside a request): flask-babel's `get_locale()` as it last chose it,
    without its lookups (the overview asks for it some 400 times)."""
    found = getattr(_babel_space(), "babel_locale", None)  # chosen already, or forced (`force_locale`)
    if found is None and has_request_context():
        found = get_locale()
    return found.language if found is not None else "en"


def request_translations() -> NullTranslations:
    """What templates translate with: the catalogue RequestDomain keeps, without flask-babel's domain lookup first."""
    found = _kept()
    return get_translations() if found is None else found


def gettext(string: str, **variables: Any) -> str:
    """flask-babel's `gettext`, on the catalogue RequestDomain keeps: flask-babel's own looks its domain up on every
    call (7-10 us; the filters and badges of a list page call it a few hundred times)."""
    found = request_translations().ugettext(string)
    return found % variables if variables else found


def install(app: Flask) -> None:
    babel = Babel(app, locale_selector=choose_locale, default_translation_directories=compiled_catalogues())
    babel.domain_instance = RequestDomain()  # flask-babel's own, found per string, is a cached property
    # jinja2.ext.i18n adds the method; Babel() installed it with callables that look the domain up per string.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals["get_locale"] = get_locale
