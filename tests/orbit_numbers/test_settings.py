"""The hardening block of orbit_numbers/settings.py: no default SECRET_KEY outside DEBUG, the production
profile (ORBIT_PRODUCTION=1) passes `check --deploy` without a warning, and the CSP keeps scripts to
this origin without breaking the docs page or the LoA review screen."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"ORBIT_PRODUCTION": "1", "SECRET_KEY": "prod-like-" + "k3Y-" * 16,
              "ORBIT_PUBLIC_BASE_URL": "https://numbers.example.com", "ALLOWED_HOSTS": "numbers.example.com"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a clean environment (no SECRET_KEY, DEBUG or ORBIT_* from this one) plus ``env``."""
    base = {name: value for name, value in os.environ.items()
            if name not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE") and not name.startswith("ORBIT_")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**base, "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings", **env})


def test_without_a_secret_key_outside_debug_nothing_starts():
    refused = manage("check")
    assert refused.returncode != 0 and "ImproperlyConfigured: SECRET_KEY is not set" in refused.stderr
    assert manage("check", DEBUG="1").returncode == 0  # a DEBUG run may use the dev key


def test_production_requires_its_public_base_url_and_debug_off():
    missing = manage("check", **{**PRODUCTION, "ORBIT_PUBLIC_BASE_URL": ""})
    assert missing.returncode != 0 and "ORBIT_PUBLIC_BASE_URL" in missing.stderr
    debugging = manage("check", **PRODUCTION, DEBUG="1")
    assert debugging.returncode != 0 and "DEBUG must be off" in debugging.stderr


def test_check_deploy_is_clean_in_the_production_profile():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_does_warn_outside_it():
    """The test above could not fail if check --deploy said nothing at all."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):  # HSTS, SSL, cookies
        assert warning in result.stderr + result.stdout, warning


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_admin_pages_have_a_csp_that_keeps_scripts_to_this_origin(db):
    response = APIClient().get("/admin/login/")
    directives = policy(response)
    assert directives["script-src"] == "script-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'" and response["X-Frame-Options"] == "DENY"
    assert directives["object-src"] == "object-src 'none'"


def test_the_docs_page_needs_no_inline_script(db):
    page = APIClient().get("/api/docs/")
    assert page.status_code == 200 and "script-src 'self'" in page["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.content.decode(), re.S)
    assert scripts and all("src=" in attributes and not body.strip() for attributes, body in scripts)
    init = APIClient().get("/api/docs/?script=")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()
