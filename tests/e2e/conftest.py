"""Browser tests: a real `hrcase serve` on a free port, driven by Playwright in Debian's headless Chromium.

Nothing downloads a browser: Playwright's driver (from its PyPI package) launches /usr/bin/chromium.
Screenshots go to HRCASE_SCREENSHOT_DIR when set (scripts/screenshots sets docs/screenshots), else a temp dir.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e import world
from tests.ports import free_port

CHROMIUM = os.environ.get("HRCASE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HRCASE = Path(sys.executable).parent / "hrcase"


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, world.Refs]]:
    """The data set built at past times, then `hrcase serve` on it; yields its URL and the cases' references."""
    data = tmp_path_factory.mktemp("e2e-data")
    refs = world.build(data)
    with serve(data) as url:
        yield url, refs


@contextmanager
def serve(data: Path) -> Iterator[str]:
    """`hrcase serve` on a data folder, on a free port, until the block ends; yields its URL."""
    port = free_port()
    log = (data / "serve.log").open("wb")
    env = {**os.environ, "HRCASE_DATA_DIR": str(data)}
    env.pop("HRCASE_API_PORT", None)
    process = subprocess.Popen([str(HRCASE), "serve", "--api-port", str(port), "--interval", "0.2"],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"hrcase serve did not start: {(data / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser, served: tuple[str, world.Refs]) -> Iterator[BrowserContext]:
    """A fresh browser profile for each test: no cookie carries over."""
    made = browser.new_context(base_url=served[0], viewport={"width": 1280, "height": 900}, locale="en-GB")
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("HRCASE_SCREENSHOT_DIR")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page: Page, username: str, password: str = world.PASSWORD) -> None:
    page.goto("/web/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/web/**")
    assert "/web/login" not in page.url, page.content()[:2000]
