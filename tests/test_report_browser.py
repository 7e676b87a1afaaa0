"""The report in a real browser: headless Chromium opens ``report.html`` from disk, as a reader who got it by mail.

Checks what only a browser can: the page loads with no console error, every embedded image decodes
(``naturalWidth > 0``), nothing is fetched from anywhere (the file is self-contained), and it looks right: a
full-page screenshot is saved for the test log (its path is printed and recorded as the ``screenshot`` property
of the test in JUnit XML).

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them with apt-get when run as root).
Without them the test skips with that instruction, and under ``CI=true`` it fails: a skipped browser test in CI
would hide a broken report.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import missing_system_tool, shared_build
from test_figures import build_comparison

from sim.report import html as report_html

pytestmark = pytest.mark.filterwarnings("error")

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1600")


def _binary(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    missing_system_tool(names[0], "Debian's chromium and chromium-driver open the report in a real browser")


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)  # a fresh profile for every test
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(_binary("chromedriver")), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def comparison_report(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("browser") / "compare"
    shutil.copytree(shared_build(tmp_path_factory, "comparison", build_comparison), directory)  # read-only
    return report_html.write_report(directory)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_chromium_opens_the_report_from_disk_without_errors_and_every_image_decodes(
        comparison_report, browser, tmp_path, capsys, record_property, lang):
    path = comparison_report if lang == "en" else report_html.write_report(comparison_report.parent, "nl")
    browser.get(path.resolve().as_uri())
    state = browser.execute_script("return document.readyState")
    assert state == "complete"
    images = browser.execute_script(
        "return Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, w: i.naturalWidth,"
        " h: i.naturalHeight}))")
    html = path.read_text(encoding="utf-8")
    assert len(images) == html.count("<img ") >= 5  # four charts of the runs and the paired comparison
    for image in images:
        assert image["complete"] and image["w"] > 0 and image["h"] > 0, image
    assert all(image["w"] >= 1600 for image in images)  # the 200-dpi PNG, not a thumbnail
    log = browser.get_log("browser")
    errors = [entry for entry in log if entry.get("level") == "SEVERE"]
    assert not errors, errors
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'))")
    assert fetched == [], fetched  # the file needs nothing but itself
    assert browser.title and ("Key figures" if lang == "en" else "Kerncijfers") in browser.page_source

    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.set_window_size(1280, min(max(height, 800), 16000))
    shot = tmp_path / f"report_{lang}.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    record_property("screenshot", str(shot))
    with capsys.disabled():
        print(f"\nreport screenshot ({lang}): {shot}")
