"""The console in a real browser: Debian's chromium, headless, driven by Selenium through
chromedriver, against `gateway serve`'s app (the facade with the console mounted) under its
waitress server on a loopback port; on SQLite and PostgreSQL.

The main pages are saved as screenshots to GATEWAY_TEST_SCREENSHOTS (default
tests/console/screenshots). Without chromium the tests are skipped, unless
GATEWAY_TEST_REQUIRE_CLIENTS=1 (CI), where they fail.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from gateway.domain.lifecycle import ClaimState
from tests.court_dunning.helpers import audit_rows
from tests.shop_api.clients.matrix import need

from .conftest import PASSWORD, audit, running, state_of

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(os.environ.get("GATEWAY_TEST_SCREENSHOTS")
                   or Path(__file__).resolve().parent / "screenshots")
HINT = "apt-get install chromium chromium-driver"


@pytest.fixture(scope="module")
def driver():
    chromium = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    chromedriver = shutil.which("chromedriver") or (CHROMEDRIVER if os.path.exists(CHROMEDRIVER)
                                                    else None)
    need(bool(chromium and chromedriver), f"chromium or chromedriver not installed ({HINT})")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 "--window-size=1366,1000", "--lang=de-DE"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def site(gw, world, driver):
    """(base URL of the running server, the browser with no cookies)."""
    with running(gw) as base:
        driver.delete_all_cookies()
        yield base, driver
        driver.delete_all_cookies()


def shot(driver, name: str) -> Path:
    """The whole page as a PNG (the window grown to the page's height)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, max(800, min(int(height) + 40, 6000)))
    path = SCREENSHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    driver.set_window_size(1366, 1000)
    return path


def navigate(driver, element) -> None:
    """Click what leads to another page and wait until that page has loaded in its place
    (a mark on the old page's window object is gone with it). chromedriver may answer
    questions about the old page with errors while it is being replaced: they mean "not
    yet", as for any other poll."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__consoleTestOldPage = true")
    element.click()
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return window.__consoleTestOldPage === undefined "
                                   "&& document.readyState === 'complete'"))


def by_css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver, selector: str) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def click_text(driver, text: str):
    from selenium.webdriver.common.by import By

    navigate(driver, driver.find_element(
        By.XPATH, f"//*[self::a or self::button][normalize-space()='{text}']"))


def log_in(base: str, driver, name: str, password: str = PASSWORD, screenshot: bool = False):
    driver.get(base + "/console/")
    assert "/console/login" in driver.current_url
    by_css(driver, "input[name=name]").send_keys(name)
    by_css(driver, "input[name=password]").send_keys(password)
    if screenshot:
        shot(driver, "01-login")
    navigate(driver, by_css(driver, "form button[type=submit]"))


def listed(driver) -> list[str]:
    return [a.text for a in all_css(driver, "#claims tbody td a")]


def test_accountant_filters_finds_and_requests_a_court_dunning_order(gw, world, site):
    base, driver = site
    log_in(base, driver, "anna", screenshot=True)
    assert driver.title.startswith("Übersicht")
    assert len(all_css(driver, "figure.chart svg rect")) > 0
    shot(driver, "07-dashboard")

    click_text(driver, "Forderungen")
    assert set(listed(driver)) == {"A-READY", "A-ABROAD", "A-OPEN", "A-REVIEW", "A-OLD"}
    by_css(driver, "input[name=candidate]").click()
    navigate(driver, by_css(driver, "form.filters button[type=submit]"))
    assert listed(driver) == ["A-READY"]
    assert "candidate=1" in driver.current_url
    shot(driver, "02-claims-list")
    # Found by its agency file number, too.
    click_text(driver, "Zurücksetzen")
    by_css(driver, "input[name=q]").send_keys("AZ-100")
    navigate(driver, by_css(driver, "form.filters button[type=submit]"))
    assert listed(driver) == ["A-READY"]

    click_text(driver, "A-READY")
    assert "Müller-Lüdenscheidt" in by_css(driver, "#debtor").text
    assert "Zulässig" in by_css(driver, "#preflight").text
    shot(driver, "03-claim")
    click_text(driver, "Mahnbescheid beantragen")
    by_css(driver, "input[value=DUNNING_ONLY]").click()
    by_css(driver, "textarea[name=note]").send_keys("Kunde reagiert seit drei Monaten nicht")
    click_text(driver, "Weiter zur Bestätigung")
    confirmation = by_css(driver, "#confirmation").text
    assert by_css(driver, "#court").text == "AG Coburg"
    assert by_css(driver, "#fee").text == "38,00 €"
    assert by_css(driver, "#limitation").text.startswith("31.12.")
    assert "Nur Mahnverfahren" in confirmation
    assert state_of(gw, world.claims["A-READY"]) is ClaimState.UNCOLLECTIBLE  # not yet
    shot(driver, "04-confirmation")
    click_text(driver, "Mahnbescheid verbindlich beantragen")
    result = by_css(driver, "#result").text
    assert "Mahnbescheid beantragt" in result and "von anna" in result
    shot(driver, "05-result")
    assert state_of(gw, world.claims["A-READY"]) is ClaimState.COURT_DUNNING_REQUESTED
    [request] = audit_rows(gw)
    assert (request.requested_by, request.instruction) == ("anna", "DUNNING_ONLY")

    # The administrator finds the audit row: who, what, from where.
    navigate(driver, by_css(driver, "form.logout button"))
    assert "abgemeldet" in driver.page_source
    log_in(base, driver, "root")
    click_text(driver, "Protokoll")
    rows = [r.text for r in all_css(driver, "#audit tr[data-action=court_dunning_requested]")]
    assert len(rows) == 1 and "anna" in rows[0] and "127.0.0.1" in rows[0]
    assert "AG Coburg" in rows[0] and "DUNNING_ONLY" in rows[0]
    shot(driver, "08-audit")


def test_operator_retries_a_failed_delivery(gw, world, site):
    base, driver = site
    log_in(base, driver, "otto")
    click_text(driver, "Zustellungen")
    assert "AgencyTimeout" in by_css(driver, "#deliveries").text
    shot(driver, "06-deliveries")
    navigate(driver, by_css(driver, "#deliveries button"))
    assert "wird erneut versucht" in by_css(driver, "p.notice").text
    assert [r.details["delivery"] for r in audit(gw, "delivery_retried")] == [
        world.deliveries["A-OPEN"]]


def test_user_not_assigned_the_shop_sees_nothing_of_it(gw, world, site):
    base, driver = site
    log_in(base, driver, "bernd")
    click_text(driver, "Forderungen")
    assert listed(driver) == ["B-READY"]
    driver.get(f"{base}/console/claims/{world.claims['A-READY']}")
    assert driver.title.startswith("Nicht gefunden")
    assert "Müller" not in driver.page_source
    driver.get(f"{base}/console/claims?q=A-READY")
    assert listed(driver) == []
    # The CSV, with the browser's session.
    cookie = driver.get_cookie("gateway_console")["value"]
    exported = requests.get(f"{base}/console/claims?format=csv", timeout=10,
                            cookies={"gateway_console": cookie}).text
    assert "B-READY" in exported and "A-" not in exported


def test_form_posted_without_its_csrf_token_is_refused(gw, world, site):
    base, driver = site
    log_in(base, driver, "otto")
    driver.get(base + "/console/deliveries")
    # What a forged form looks like: the same post, without the page's token.
    driver.execute_script("document.querySelectorAll('#deliveries input[name=csrf_token]')"
                          ".forEach(e => e.remove())")
    navigate(driver, by_css(driver, "#deliveries button"))
    assert driver.title.startswith("Formular abgelaufen")
    assert "Sicherheits-Token" in driver.page_source
    assert audit(gw, "delivery_retried") == [] and len(audit(gw, "csrf_refused")) == 1


def test_locked_out_login_stays_locked(gw, world, site):
    base, driver = site
    for _ in range(gw.settings.console_login_lockout_failures):
        log_in(base, driver, "vera", "falsch-falsch-falsch")
        assert "Name oder Passwort ist falsch" in by_css(driver, "p.error").text
    log_in(base, driver, "vera")  # the right password, now too late
    assert "gesperrt" in by_css(driver, "p.error").text
    driver.get(base + "/console/claims")
    assert "/console/login" in driver.current_url
