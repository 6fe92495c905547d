"""Fixtures of the browser tests: a headless Chromium (the tests skip, saying why, when there is none), the
tiny models, one ``wordseq serve`` subprocess for the session, and the folder screenshots are saved to
(``$WORDSEQ_SCREENSHOTS``, or a temporary folder)."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from browser_helpers import Page, build_models, find_browser, make_driver, screenshot_folder, serve


@pytest.fixture(scope="session")
def browser_paths():
    found = find_browser()
    if isinstance(found, str):
        pytest.skip(f"browser tests skipped: {found}")
    return found


@pytest.fixture(scope="session")
def site(browser_paths, tmp_path_factory):
    """``(driver, url)``: Chromium starts while the models are built, then the server starts on them."""
    with ThreadPoolExecutor(1) as pool:
        starting = pool.submit(make_driver, *browser_paths, tmp_path_factory.mktemp("chromium-profile"))
        try:
            models = build_models(tmp_path_factory.mktemp("serve-models"))
            with serve(list(models.values())) as url:
                driver = starting.result()
                try:
                    yield driver, url, models
                finally:
                    driver.quit()
        except BaseException:
            with contextlib.suppress(Exception):
                starting.result().quit()
            raise


@pytest.fixture(scope="session")
def models(site):
    return site[2]


@pytest.fixture(scope="session")
def shots(tmp_path_factory):
    return screenshot_folder(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture
def page(site, shots):
    driver, url, _ = site
    return Page(driver, url, shots).open()
