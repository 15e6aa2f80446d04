"""The web page for people (web/), in a real headless Chromium against the real local platform.

A person types a description, sees the top candidates, answers the guided questions one by one, and gets the
final code (HS6 and national line), its path, the alternatives and the question-and-answer history; the session
resumes from ?session=<id>; the UI switches between English, Traditional Chinese and Korean; API errors are shown.

The browser is Debian's Chromium driven through Debian's ChromeDriver (W3C WebDriver over `requests`; see
browser.py). It is installed by scripts/install_browser.sh when missing; if that fails the tests fail, naming why.
Screenshots go to test-artifacts/web/. CUSTOMS_WEB_DOCS_SCREENSHOT=1 also refreshes docs/images/web-page.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
import requests

from tests.e2e.browser import Browser, BrowserUnavailable, ensure_browser
from tests.e2e.fake_api import UNAVAILABLE_TRIGGER, FakeApi

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
DOCS_SCREENSHOT = REPO / "docs" / "images" / "web-page.png"
MODEL_FILE = REPO / "model_artifacts" / "classifier" / "config.json"
HS6_SHOWN = re.compile(r"^\d{4}\.\d{2}$")
NATIONAL_SHOWN = re.compile(r"^\d{4}(\.\d{2}){2,3}$")
MAX_ANSWERS = 12
TSHIRT = r"^t-shirts\b|\bof cotton\b|^cotton$|^yes, knitted|^men or boys"  # how a person with a cotton T-shirt answers

pytestmark = pytest.mark.timeout(600)  # the first test may install Chromium (apt) on a new machine


# --- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    problem = None
    try:
        ensure_browser()
        chromium = Browser(width=1280, height=900)
    except BrowserUnavailable as exc:
        problem = str(exc)
    if problem:  # never a skip: without the browser the page is untested, and CI must say so
        pytest.fail(problem, pytrace=False)
    yield chromium
    chromium.quit()


def _clear_api_caches() -> None:
    """The API's adapters are cached per process; a platform on other ports must not inherit them."""
    from functions.tariff_api.chalicelib import platform as api_platform

    for cached in (api_platform.classifier, api_platform.guided, api_platform.api_key_store):
        cached.cache_clear()


@pytest.fixture(scope="module")
def platform():
    from customs.aws import reset_clients
    from customs.config import reset_settings_cache
    from customs.identity import default_jwt_verifier

    from scripts.local.platform import LocalPlatform

    saved_environ = dict(os.environ)
    local = LocalPlatform.on_free_ports(with_router=False).start()
    _clear_api_caches()
    try:
        yield local
    finally:
        local.stop()
        # Leave the process as it was for the test modules after this one (settings, clients, adapters).
        os.environ.clear()
        os.environ.update(saved_environ)
        reset_settings_cache()
        reset_clients()
        default_jwt_verifier.cache_clear()
        _clear_api_caches()


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi().start()
    yield api
    api.stop()


class StubClassifier:
    """Fixed candidates for a T-shirt, so the real dialogue, session store and national schedule are exercised
    the same way on every run whatever the model says."""

    CANDIDATES = (
        ("610910", 0.46),
        ("610990", 0.22),
        ("620520", 0.12),
        ("610510", 0.08),
        ("611030", 0.05),
        ("620630", 0.04),
        ("611420", 0.03),
    )

    def classify(self, payload: dict[str, Any]) -> dict[str, Any]:
        candidates = [{"hs6": hs6, "probability": p} for hs6, p in self.CANDIDATES][: payload.get("top_k", 5)]
        return {"model_version": "stub", "results": [{"candidates": candidates}]}


@contextmanager
def classifier(replacement: Any) -> Iterator[None]:
    """Swap the API's classifier adapter (the API runs in this process, on Chalice's local server)."""
    from functions.tariff_api.chalicelib import platform as api_platform

    original = api_platform.classifier
    api_platform.classifier = lambda: replacement  # type: ignore[assignment]
    api_platform.guided.cache_clear()
    try:
        yield
    finally:
        api_platform.classifier = original  # type: ignore[assignment]
        api_platform.guided.cache_clear()


@pytest.fixture
def stub_classifier(platform) -> Iterator[None]:
    with classifier(StubClassifier()):
        yield


# --- helpers -----------------------------------------------------------------------------------------------


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


def open_page(browser: Browser, page_base: str, api: str, **query: str) -> None:
    params = "&".join(f"{k}={quote(v)}" for k, v in {"api": api, "lang": "en", **query}.items())  # the UI language is remembered
    browser.get(f"{page_base}/web/?{params}")
    browser.wait_until(lambda: browser.execute("return document.body.dataset.ready === 'true'"), message="the page script to start")


def start(browser: Browser, text: str) -> None:
    browser.type(tid("description-input"), text)
    browser.click(tid("submit-button"))
    browser.wait_until(
        lambda: browser.visible(tid("question")) or browser.visible(tid("result")) or browser.visible(tid("error")),
        timeout_s=60,
        message="the first question, the result or an error after submitting",
    )


def untranslated_strings(browser: Browser, lang: str) -> list[str]:
    """UI string keys with no text in ``lang``, and page elements still showing another language's text."""
    return browser.execute(
        "const en = window.I18N.en, tr = window.I18N[arguments[0]];"
        "return Object.keys(en).filter(k => !(k in tr)).concat([...document.querySelectorAll('[data-i18n]')]"
        ".filter(e => e.textContent !== tr[e.dataset.i18n]).map(e => e.dataset.i18n));", lang)


def knitted_tshirt_heading_leads(browser: Browser, examples_prefix: str) -> bool:
    """The knitted T-shirt heading (6109) is the result or leads the candidates, which then show trade names in the
    page's language beside the English HS wording. True when a question is open."""
    if browser.visible(tid("result")):
        assert browser.text(tid("result-hs6")).startswith("6109"), browser.text(tid("result-hs6"))
        return False
    first = browser.text(f"{tid('candidates')} li:first-child")
    assert "6109." in first, first
    assert browser.text(f"{tid('candidates')} li:first-child .examples").startswith(examples_prefix), first
    return True


def question_state(browser: Browser) -> tuple[str, str]:
    return browser.attribute(tid("question"), "data-question-id") or "", browser.text(tid("question-step"))


def answer_until_done(browser: Browser, shots: str, not_sure_first: bool, prefer: str) -> list[tuple[str, str]]:
    """Answer every question, as a person would, with the first option whose label matches ``prefer`` (else the
    first offered), and the first question "Not sure" with ``not_sure_first``; return [(question, answer)]."""
    answered: list[tuple[str, str]] = []
    for turn in range(MAX_ANSWERS):
        if browser.visible(tid("result")):
            return answered
        assert not browser.visible(tid("error")), browser.text(tid("error-message"))
        assert browser.visible(tid("question")), "neither a question nor a result is shown"
        before = question_state(browser)
        options = browser.find_all(f"{tid('options')} button")
        ids = [browser.attribute(f"{tid('options')} button:nth-of-type({i + 1})", "data-option-id") for i in range(len(options))]
        assert "not_sure" in ids and len(ids) >= 2, ids
        labels = browser.texts(f"{tid('options')} button")
        offered = [(i, label) for i, label in zip(ids, labels) if i != "not_sure"]
        preferred = next((i for i, label in offered if re.search(prefer, label, re.IGNORECASE)), offered[0][0])
        choice = "not_sure" if (turn == 0 and not_sure_first) else preferred
        question = browser.text(tid("question-text"))
        label = browser.text(tid(f"option-{choice}"))
        if turn < 3:
            browser.screenshot(ARTIFACTS / f"{shots}-question-{turn + 1}.png")
        browser.click(tid(f"option-{choice}"))
        browser.wait_until(
            lambda before=before: (
                browser.visible(tid("result"))
                or browser.visible(tid("error"))
                or (browser.visible(tid("question")) and question_state(browser) != before)
            ),
            timeout_s=20,
            message=f"the page to move on after answering {question!r} with {label!r}",
        )
        answered.append((question, label))
    raise AssertionError(f"no result after {MAX_ANSWERS} answers: {answered}")


def session_id_in_url(browser: Browser) -> str:
    values = parse_qs(urlparse(browser.url).query).get("session", [])
    assert values, browser.url
    return values[0]


def check_result(browser: Browser, answered: list[tuple[str, str]]) -> str:
    hs6 = browser.text(tid("result-hs6"))
    assert HS6_SHOWN.match(hs6), hs6
    national = browser.text(tid("result-national"))
    assert NATIONAL_SHOWN.match(national) and national.startswith(hs6) or national == "Not determined", national
    assert browser.text(tid("result-description"))
    path_steps = browser.texts(f"{tid('result-path')} li")
    assert len(path_steps) == 3 and path_steps[-1].startswith(f"Subheading {hs6}"), path_steps
    assert " > " in browser.text(tid("result-path-text"))
    assert re.search(r"\d+(\.\d)?%", browser.text(tid("result-confidence")))
    history = browser.texts(f'{tid("history")} li[data-testid^="history-item-"]')
    assert len(history) == len(answered), (history, answered)
    for shown, (question, answer) in zip(history, answered):
        assert question in shown and answer in shown, (shown, question, answer)
    return hs6


# --- the tests -----------------------------------------------------------------------------------------------


def run_guided_flow(
    browser: Browser, platform, shots: str, description: str, not_sure_first: bool, prefer: str, docs_screenshot: bool = False
) -> dict[str, Any]:
    open_page(browser, platform.gateway_url, platform.api_url)
    browser.screenshot(ARTIFACTS / f"{shots}-0-start.png")
    start(browser, description)
    assert not browser.visible(tid("error")), browser.text(tid("error-message"))
    # The top candidates, with their path text and a confidence bar each
    if browser.visible(tid("question")):
        candidates = browser.find_all(f"{tid('candidates')} li")
        assert 1 <= len(candidates) <= 5
        first = browser.text(f"{tid('candidates')} li:first-child")
        assert re.search(r"\d{4}\.\d{2}", first) and "%" in first and " > " in first, first
        assert browser.find_all(f"{tid('candidates')} li .bar .fill")
    session_id = session_id_in_url(browser)
    answered = answer_until_done(browser, shots, not_sure_first, prefer)
    browser.screenshot(ARTIFACTS / f"{shots}-1-result.png", full_page=True)
    hs6 = check_result(browser, answered)
    view = requests.get(f"{platform.api_url}/v1/sessions/{session_id}", timeout=10).json()
    assert view["status"] == "done" and hs6 == f"{view['result']['hs6'][:4]}.{view['result']['hs6'][4:]}"
    assert len(browser.find_all(f'{tid("alternatives")} li[data-testid^="alternative-"]')) == len(view["result"]["alternatives"])

    # Resumable: the address alone brings the same result back
    browser.get("about:blank")
    open_page(browser, platform.gateway_url, platform.api_url, session=session_id)
    browser.wait_until(lambda: browser.visible(tid("result")), message="the resumed session's result")
    assert browser.text(tid("result-hs6")) == hs6
    assert len(browser.texts(f'{tid("history")} li[data-testid^="history-item-"]')) == len(answered)
    if docs_screenshot and os.environ.get("CUSTOMS_WEB_DOCS_SCREENSHOT") == "1":
        browser.execute("window.scrollTo(0, 0)")
        browser.screenshot(DOCS_SCREENSHOT, full_page=True, max_height=900)

    # Start over: back to an empty form, and the address no longer names the session
    browser.click(tid("start-over"))
    browser.wait_until(lambda: browser.visible(tid("description-input")) and not browser.visible(tid("session")), message="an empty form")
    assert "session=" not in browser.url
    assert browser.execute("return document.activeElement.dataset.testid") == "description-input"
    return view


def test_guided_flow_from_description_to_final_code_with_the_trained_classifier(browser, platform):
    if not MODEL_FILE.exists():
        pytest.fail(f"the trained classifier is missing ({MODEL_FILE.relative_to(REPO)}); the real end-to-end flow needs it", pytrace=False)
    view = run_guided_flow(browser, platform, "model", "t-shirt", not_sure_first=False, prefer=TSHIRT, docs_screenshot=True)
    assert view["result"]["hs6"].startswith(("61", "62")), view["result"]


def test_a_chinese_description_reaches_the_right_heading_with_the_trained_classifier(browser, platform):
    # Given the page in Traditional Chinese and a description written in Chinese only
    open_page(browser, platform.gateway_url, platform.api_url, lang="zh-TW")
    start(browser, "男用棉質針織T恤")
    assert not browser.visible(tid("error")), browser.text(tid("error-message"))
    # Then the knitted T-shirt heading leads: among the candidates of the first question (with Chinese trade names beside
    # the English HS wording), or as the result
    if knitted_tshirt_heading_leads(browser, "例："):
        assert any("（例：" in label for label in browser.texts(f"{tid('options')} button")), browser.texts(f"{tid('options')} button")
    browser.screenshot(ARTIFACTS / "zh-model-0-first-step.png")


def test_a_korean_description_on_the_korean_page_with_the_trained_classifier(browser, platform):
    # Given the page switched to Korean and a description written in Korean only
    open_page(browser, platform.gateway_url, platform.api_url)
    browser.click(tid("lang-ko"))
    browser.wait_until(lambda: browser.execute("return document.documentElement.lang") == "ko", message="the page language to switch")
    assert browser.text("h1") == "무엇을 수입하거나 수출하십니까?" and browser.text(tid("submit-button")) == "코드 찾기"
    assert untranslated_strings(browser, "ko") == []
    start(browser, "남성용 면 니트 티셔츠")
    assert not browser.visible(tid("error")), browser.text(tid("error-message"))
    # And the page shows how the classifier read it: in English
    assert browser.visible(tid("session-read-as")) and "cotton" in browser.text(tid("session-read-as")).lower()
    # Then the knitted T-shirt heading leads, the questions speak Korean and Korean trade names sit beside the HS wording
    if knitted_tshirt_heading_leads(browser, "예: "):
        assert browser.text(tid("question-step")) == "질문 1" and browser.text(tid("option-not_sure")) == "잘 모르겠음"
        assert re.search(r"[\uac00-\ud7af]", browser.text(tid("question-text"))), browser.text(tid("question-text"))
        session = requests.get(f"{platform.api_url}/v1/sessions/{session_id_in_url(browser)}", timeout=10).json()
        assert session["lang"] == "ko"
    browser.screenshot(ARTIFACTS / "ko-model-0-first-step.png")


def test_guided_flow_on_the_real_routes_with_fixed_candidates(browser, platform, stub_classifier):
    view = run_guided_flow(browser, platform, "routes", "men's cotton t-shirt", not_sure_first=True, prefer=TSHIRT)
    assert view["result"]["questions_asked"] >= 2 and view["history"][0]["answer_id"] == "not_sure"


def test_language_switch_changes_every_ui_string_and_starts_the_session_in_chinese(browser, platform, stub_classifier):
    open_page(browser, platform.gateway_url, platform.api_url)
    browser.click(tid("lang-zh-TW"))
    browser.wait_until(lambda: browser.execute("return document.documentElement.lang") == "zh-TW", message="the page language to switch")
    assert browser.attribute(tid("lang-zh-TW"), "aria-pressed") == "true" and browser.attribute(tid("lang-en"), "aria-pressed") == "false"
    assert browser.text("h1") == "您要進口或出口什麼貨品？" and browser.text(tid("submit-button")) == "查詢號列"
    assert browser.attribute(tid("description-input"), "placeholder").startswith("例如")
    # Every translated string differs from its English text (none left behind)
    assert untranslated_strings(browser, "zh-TW") == []
    browser.screenshot(ARTIFACTS / "zh-0-start.png")

    start(browser, "男用棉質T恤 men's cotton t-shirt")
    assert browser.visible(tid("question")), browser.text(tid("error-message")) if browser.visible(tid("error")) else "no question"
    assert browser.text(tid("question-step")) == "第 1 題"
    assert re.search(r"[\u4e00-\u9fff]", browser.text(tid("question-text"))), browser.text(tid("question-text"))
    assert browser.text(tid("option-not_sure")) == "不確定"
    question_zh = browser.text(tid("question-text"))
    session = requests.get(f"{platform.api_url}/v1/sessions/{session_id_in_url(browser)}", timeout=10).json()
    assert session["lang"] == "zh-TW"
    assert parse_qs(urlparse(browser.url).query)["lang"] == ["zh-TW"]
    browser.screenshot(ARTIFACTS / "zh-1-question.png")

    # And back: the UI strings return to English (the session's own questions stay in its language)
    browser.click(tid("lang-en"))
    browser.wait_until(lambda: browser.text(tid("start-over")) == "Start over", message="English UI text")
    assert browser.text(tid("question-step")).lower() == "question 1" and browser.text(tid("question-text")) == question_zh
    assert browser.execute("return document.documentElement.lang") == "en"


def test_api_errors_are_shown_with_their_message(browser, platform):
    from functions.tariff_api.chalicelib import platform as api_platform

    # 404: a session that does not exist (or has expired); the page also loads from /web without the slash
    browser.get(f"{platform.gateway_url}/web?api={quote(platform.api_url)}&lang=en&session={'0' * 32}")
    browser.wait_until(lambda: browser.execute("return document.body.dataset.ready === 'true'"), message="the page from /web")
    assert urlparse(browser.url).path == "/web/"
    browser.wait_until(lambda: browser.visible(tid("error")), message="the 404 error")
    assert browser.text(tid("error-message")) == "session not found"
    assert "404" in browser.text(tid("error-detail")) and "not_found" in browser.text(tid("error-detail"))
    assert browser.attribute(tid("error"), "role") == "alert"
    assert not browser.visible(tid("retry-button"))
    assert "session=" not in browser.url
    browser.screenshot(ARTIFACTS / "error-404.png")

    # 400: a malformed session id names the problem
    open_page(browser, platform.gateway_url, platform.api_url, session="not-a-session")
    browser.wait_until(lambda: browser.visible(tid("error")), message="the 400 error")
    assert "32 lower-case hex" in browser.text(tid("error-message"))

    # Nothing typed: said at once, without a request
    browser.click(tid("dismiss-error"))
    assert not browser.visible(tid("error"))
    browser.click(tid("submit-button"))
    assert browser.text(tid("error-message")) == "Please describe the goods first."
    assert browser.attribute(tid("description-input"), "aria-invalid") == "true"

    # 503: the classifier is down; "Try again" works once it is back
    with classifier(api_platform.LambdaClassifierClient("no-such-function", 2.0)):
        start(browser, "frozen shrimp")
        assert browser.visible(tid("error")) and not browser.visible(tid("question"))
        assert browser.text(tid("error-message")) == "the classifier is unavailable; retry shortly"
        assert "503" in browser.text(tid("error-detail"))
        assert browser.visible(tid("retry-button"))
        browser.screenshot(ARTIFACTS / "error-503.png")
    with classifier(StubClassifier()):
        browser.click(tid("retry-button"))
        browser.wait_until(lambda: browser.visible(tid("question")), timeout_s=30, message="the question after retrying")
        assert not browser.visible(tid("error"))


def test_page_against_the_fake_api_shows_retry_after_and_recovers_from_a_stale_answer(browser, fake_api):
    """States the real platform only reaches on a bad day: 503 with a readable Retry-After, 409 on a stale answer."""
    open_page(browser, fake_api.url, fake_api.url)
    start(browser, f"t-shirt ({UNAVAILABLE_TRIGGER})")
    assert browser.text(tid("error-message")) == "the classifier is unavailable; retry shortly"
    assert "try again in 5 s" in browser.text(tid("error-detail"))

    browser.click(tid("dismiss-error"))
    start(browser, "men's cotton t-shirt")
    session_id = session_id_in_url(browser)
    # Someone answers in another tab: this page's version is now stale
    assert (
        requests.post(
            f"{fake_api.url}/v1/sessions/{session_id}/answers",
            json={"question_id": "material", "option_id": "cotton", "version": 1},
            timeout=5,
        ).status_code
        == 200
    )
    browser.click(tid("option-synthetic"))
    browser.wait_until(lambda: browser.visible(tid("error")), message="the 409 error")
    assert "reload" in browser.text(tid("error-message")) and "409" in browser.text(tid("error-detail"))
    # ... and the page shows where the session is now (the next question), ready to go on
    browser.wait_until(
        lambda: (browser.attribute(tid("question"), "data-question-id") or "").startswith("national"), message="the reloaded question"
    )
    browser.click(tid("option-6109100010"))
    browser.wait_until(lambda: browser.visible(tid("result")), message="the result")
    assert browser.text(tid("result-national")) == "6109.10.00.10"
    assert [body["version"] for method, path, body in fake_api.requests if method == "POST" and path.endswith("/answers")][-1] == 2
    browser.screenshot(ARTIFACTS / "fake-result.png", full_page=True)


def test_page_is_usable_on_a_phone_screen(browser, fake_api):
    browser.set_window(390, 844)
    try:
        open_page(browser, fake_api.url, fake_api.url)
        start(browser, "men's cotton t-shirt")
        width = browser.execute("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"horizontal scrolling on a phone: {width}"
        browser.screenshot(ARTIFACTS / "phone-question.png")
        # Every interactive element carries a stable data-testid and an accessible name
        missing = browser.execute(
            "return [...document.querySelectorAll('button, input, textarea, select, a[href]')]"
            ".filter(e => !e.dataset.testid)"
            ".map(e => e.outerHTML.slice(0, 80));"
        )
        assert missing == []
        assert browser.attribute("#live", "aria-live") == "polite" and browser.attribute(tid("status"), "role") == "status"
        assert browser.execute("return document.querySelector('label[for=description]') !== null")
    finally:
        browser.set_window(1280, 900)
