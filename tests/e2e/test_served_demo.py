"""The demo as a person sees it, served the way `make run` serves it.

A server started with the Makefile's own recipe (`make demo-server`, what `make run` runs after
installing): DEBUG off, migrate, collectstatic, seed_demo, runserver. Only the database (a fresh
SQLite file), the static root, the port and the secret key are this test's own. Then headless
Chromium checks what a person sees: the admin styled (a computed style, not a 200), Swagger UI
listing every operation, and screenshots of the dashboard and the numbers changelist saved to
tests/e2e/artifacts/ (git-ignored; CI keeps them).

This lane exists because the live_server of test_console.py serves static files by itself, so a
demo whose every /static/ URL was 404 looked fine there.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from inventory.demo import STAFF_PASSWORD, STAFF_USERNAME
from tests.e2e.test_console import CHROME_ARGS, CHROMEDRIVER

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"
STARTUP_TIMEOUT_SECONDS = 300
# Django admin's header colour (--header-bg, #417690); an unstyled page leaves it transparent.
ADMIN_HEADER_BACKGROUND = "rgb(65, 118, 144)"
# The environment a developer's shell may carry that `make run` does not set: the demo is zero-setup.
NOT_SET_BY_MAKE_RUN = ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                       "DEBUG", "STATIC_ROOT", "MEDIA_ROOT", "LOG_FORMAT", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
OPENAPI_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Base URL of a server started like `make run`; stopped (its whole process group) afterwards."""
    work = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in NOT_SET_BY_MAKE_RUN}
    env.update(DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}", STATIC_ROOT=str(work / "static"),
               MEDIA_ROOT=str(work / "media"), SECRET_KEY="e2e-demo-secret-key-not-for-production-0123456789",
               PYTHONUNBUFFERED="1")
    log_path = work / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "demo-server", f"PY={sys.executable}", f"RUN_ADDR=127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(base, server, log_path)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_until_live(base: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the demo server exited with {server.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the demo server did not answer in {STARTUP_TIMEOUT_SECONDS}s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def browser():
    if not CHROMEDRIVER.exists():
        pytest.fail(f"{CHROMEDRIVER} is missing: apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def wait_for(browser, css: str, timeout: float = 20):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def header_background(browser) -> str:
    return browser.execute_script("return getComputedStyle(document.getElementById('header')).backgroundColor")


def stylesheets_that_failed(browser) -> list[str]:
    """<link rel=stylesheet> whose file did not load: the browser holds no rules for them (or refuses
    to read them, as for a 404 page served in a stylesheet's place)."""
    return browser.execute_script("""
        const unusable = link => { try { return !link.sheet || link.sheet.cssRules.length === 0; }
                                   catch (refused) { return true; } };
        return Array.from(document.querySelectorAll('link[rel=stylesheet]')).filter(unusable)
            .map(link => link.href);""")


def test_the_admin_is_styled(demo, browser):
    browser.get(f"{demo}/admin/login/?next=/admin/")
    wait_for(browser, "#header")
    assert stylesheets_that_failed(browser) == []
    assert header_background(browser) == ADMIN_HEADER_BACKGROUND


def test_dashboard_and_numbers_changelist_as_staff_see_them(demo, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{demo}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(STAFF_USERNAME)
    browser.find_element(By.ID, "id_password").send_keys(STAFF_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, "#orbit-dashboard")
    assert header_background(browser) == ADMIN_HEADER_BACKGROUND
    assert stylesheets_that_failed(browser) == []
    browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))

    browser.get(f"{demo}/admin/inventory/phonenumber/")
    wait_for(browser, "#result_list")
    assert browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"), "seed_demo stocks inventory"
    assert header_background(browser) == ADMIN_HEADER_BACKGROUND
    browser.save_screenshot(str(ARTIFACTS / "numbers-changelist.png"))
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 0 and (ARTIFACTS / "numbers-changelist.png").stat().st_size > 0


def test_swagger_ui_lists_every_operation(demo, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    schema = requests.get(f"{demo}/api/v1/schema/", params={"format": "json"}, timeout=30).json()
    operations = sum(1 for item in schema["paths"].values() for method in item if method in OPENAPI_METHODS)
    assert operations > 20

    browser.get(f"{demo}/api/docs/")
    WebDriverWait(browser, 30).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".opblock")) >= operations)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) == operations
    browser.save_screenshot(str(ARTIFACTS / "api-docs.png"))


def test_static_files_are_hashed_compressed_and_probes_answer(demo):
    page = requests.get(f"{demo}/admin/login/", timeout=10).text
    stylesheet = next(part.split('"')[0] for part in page.split('href="')[1:] if "admin/css/base." in part)
    assert stylesheet.count(".") == 2  # base.<hash>.css: collected with the manifest storage
    response = requests.get(demo + stylesheet, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip" and "immutable" in response.headers["Cache-Control"]
    assert requests.get(f"{demo}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{demo}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
