"""Static files are served by the application itself (WhiteNoise) with DEBUG off, as in `make run`
and `make serve`: the admin's stylesheet and Swagger UI's scripts load (before: every /static/ 404)."""
from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from orbit_numbers import settings as project_settings

SWAGGER_BUNDLE = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"


def test_debug_is_off_here_as_in_make_run(settings):
    assert settings.DEBUG is False


def test_admin_stylesheet_is_served(db):
    response = Client().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"--header-bg" in b"".join(response.streaming_content)


def test_swagger_ui_scripts_are_served(db):
    response = Client().get(f"/static/{SWAGGER_BUNDLE}")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]


@pytest.fixture
def collected(tmp_path):
    """collectstatic with the production storage (hashed names, gzip copies), served from STATIC_ROOT
    only: the files `make run` and `make serve` serve."""
    production = {**project_settings.STORAGES}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=production,
                           WHITENOISE_USE_FINDERS=False, WHITENOISE_AUTOREFRESH=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield tmp_path


def linked_static(html: str, name: str) -> str:
    stem, _, suffix = name.rpartition(".")
    match = re.search(rf'/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix}', html)
    assert match, f"no hashed link to {name} in the page"
    return match.group(0)


def test_pages_link_hashed_static_files_that_are_served_compressed_and_cached_for_good(collected, db):
    assert project_settings.STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise.storage.CompressedManifest")
    client = Client()
    stylesheet = linked_static(client.get("/admin/login/").content.decode(), "admin/css/base.css")
    bundle = linked_static(client.get("/api/docs/").content.decode(), SWAGGER_BUNDLE)
    for url in (stylesheet, bundle):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200, url
        assert response["Content-Encoding"] == "gzip"
        assert "immutable" in response["Cache-Control"]
    assert (collected / "staticfiles.json").exists()
