"""The pages' numbers are written as babel writes them in each language: grouped thousands, a fixed count of
decimals, the language's separators (the filter has a quick path for the plain ones)."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import Babel, force_locale

from services.casework.web.filters import number

VALUES = [0, 7, 999, 1000, 12_345, 1_000_000, 987_654_321, -1, -12_345, 0.0, 0.04, 0.05, 0.15, 2.25, 2.675, 99.95,
          999.96, 1234.5, 1_000_000.06, -3.25, -1234.5, float("nan"), float("inf")]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("digits", [0, 1, 2])
def test_a_number_reads_as_babel_writes_it_in_the_readers_language(language: str, digits: int) -> None:
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(), force_locale(language):
        for value in VALUES:
            expected = (format_decimal(value, locale=language) if isinstance(value, int)
                        else format_decimal(round(float(value), digits), format="#,##0." + "0" * digits,
                                            locale=language))
            assert number(value, digits) == expected, (value, digits, language)
    assert number(None) == "—"


def test_french_groups_thousands_with_a_narrow_space_and_a_decimal_comma() -> None:
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(), force_locale("fr"):
        assert (number(1_234_567), number(1234.5)) == ("1\u202f234\u202f567", "1\u202f234,5")
