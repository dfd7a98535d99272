"""FullMatchValidator: the pattern must match the whole value (RegexValidator's search lets `$` pass "abc\n")."""
import pytest
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from orbit_numbers.validators import FullMatchValidator

SLUG = r"^[a-z0-9]{1,8}$"


def test_regex_validator_lets_a_trailing_newline_through():
    RegexValidator(SLUG)("abc\n")  # the mistake FullMatchValidator exists for


@pytest.mark.parametrize("value", ["abc\n", "abc\n\n", "ab c", "", "abcdefghi"])
def test_refuses_anything_but_a_whole_match(value):
    with pytest.raises(ValidationError):
        FullMatchValidator(SLUG, "must be a slug")(value)


def test_accepts_a_whole_match_and_keeps_the_inverse_option():
    FullMatchValidator(SLUG)("abc123")
    FullMatchValidator(SLUG, inverse_match=True)("abc\n")
    with pytest.raises(ValidationError):
        FullMatchValidator(SLUG, inverse_match=True)("abc")
