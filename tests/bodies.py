"""Request-body helpers: a POST that announces a large body the server must refuse without reading it."""
from __future__ import annotations


class UnreadableBody:
    """A wsgi.input that fails the test if the server reads a single byte of it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the server read a body it should have refused from Content-Length alone")

    readline = read


def post_unread(client, path: str, *, content_length: int, content_type: str = "multipart/form-data; boundary=x"):
    """POST ``path`` announcing ``content_length`` bytes of a body that must not be read."""
    return client.generic("POST", path, b"x", content_type=content_type,
                          **{"CONTENT_LENGTH": str(content_length), "wsgi.input": UnreadableBody()})
