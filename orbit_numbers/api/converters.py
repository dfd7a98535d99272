class NumberIdConverter:
    """An owned number's public id: num_ + 20 base32 characters."""

    regex = r"num_[0-9a-z]{20}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class E164Converter:
    """A path segment that looks like an E.164 number (validated properly by the view)."""

    regex = r"\+?[0-9]{6,15}"

    def to_python(self, value: str) -> str:
        return value if value.startswith("+") else f"+{value}"

    def to_url(self, value: str) -> str:
        return value
