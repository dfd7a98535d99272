"""Whole-value regex validation.

Django's ``RegexValidator`` (and DRF's ``RegexField``, built on it) uses ``re.search``, and in
Python ``$`` also matches just before a trailing newline, so ``^[a-z]+$`` accepts ``"abc\\n"``.
Every pattern here must match the whole value: use ``FullMatchValidator`` (or ``pattern.fullmatch``).
Patterns keep their ``^…$`` anchors so that the same text is a correct OpenAPI (ECMA) pattern.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible


@deconstructible
class FullMatchValidator(RegexValidator):
    """A ``RegexValidator`` whose pattern must match the entire value (``re.fullmatch``).

    Still a ``RegexValidator``, so drf-spectacular documents its pattern."""

    def __call__(self, value):
        matched = self.regex.fullmatch(str(value)) is not None
        if matched == self.inverse_match:
            raise ValidationError(self.message, code=self.code, params={"value": value})
