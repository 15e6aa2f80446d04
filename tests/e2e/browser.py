"""A small W3C WebDriver client for Debian's headless Chromium, driven through Debian's ChromeDriver.

Only `requests` (already a dev dependency) is needed: no Selenium, no browser download of a test tool's own.
`ensure_browser()` installs chromium + chromium-driver with scripts/install_browser.sh when they are missing and
raises `BrowserUnavailable` with the reason when that fails (the tests turn it into a failure, never a skip).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from scripts.local.emulator import free_port

REPO = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO / "scripts" / "install_browser.sh"
CHROMIUM = os.environ.get("CUSTOMS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CUSTOMS_CHROMEDRIVER", "/usr/bin/chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C element reference key
# Flags known to work on these machines: no sandbox as root, no GPU, and no background traffic to Google's
# hosts (the machine's closed network refuses it), each run in a new empty profile.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=en-US",
)

T = TypeVar("T")


class BrowserUnavailable(RuntimeError):
    pass


class WebDriverError(RuntimeError):
    pass


def ensure_browser(timeout_s: float = 540) -> None:
    """Chromium and ChromeDriver present, installing the Debian packages when missing."""
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return
    try:
        done = subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrowserUnavailable(f"could not run {INSTALL_SCRIPT.relative_to(REPO)}: {exc}") from exc
    if done.returncode != 0 or not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        raise BrowserUnavailable(
            f"headless Chromium is required for the web page tests and could not be installed "
            f"(scripts/install_browser.sh exited {done.returncode}; expected {CHROMIUM} and {CHROMEDRIVER}).\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )


class Browser:
    """One ChromeDriver process and one browser session."""

    def __init__(self, width: int = 1280, height: int = 900) -> None:
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self.log = Path(tempfile.mkstemp(prefix="chromedriver-", suffix=".log")[1])
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}", f"--log-path={self.log}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.session_id: str | None = None
        try:
            self._wait_for_driver()
            capabilities = {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}"],
                },
                "goog:loggingPrefs": {"browser": "ALL"},
            }
            try:
                value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}}, timeout=60)
            except (WebDriverError, requests.RequestException) as exc:
                raise BrowserUnavailable(
                    f"headless Chromium could not be started ({CHROMIUM}): {exc}\n{self.log.read_text()[-2000:]}"
                ) from exc
            self.session_id = value["sessionId"]
            self._call("POST", self._s("/timeouts"), {"implicit": 0, "pageLoad": 30000, "script": 30000})
        except BaseException:
            self.quit()
            raise

    # --- protocol ---------------------------------------------------------------------------------------

    def _wait_for_driver(self, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.driver.poll() is not None:
                raise BrowserUnavailable(
                    f"headless Chromium could not be started: chromedriver exited with {self.driver.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                if self.http.get(f"{self.base}/status", timeout=2).json()["value"]["ready"]:
                    return
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.1)
        raise BrowserUnavailable(f"headless Chromium could not be started: chromedriver did not become ready in {timeout_s}s")

    def _s(self, path: str) -> str:
        return f"/session/{self.session_id}{path}"

    def _call(self, method: str, path: str, payload: dict | None = None, timeout: float = 40) -> Any:
        response = self.http.request(
            method, self.base + path, json=payload if payload is not None else ({} if method == "POST" else None), timeout=timeout
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise WebDriverError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}") from exc
        value = body.get("value")
        if response.status_code >= 400 or (isinstance(value, dict) and "error" in value and "message" in value):
            raise WebDriverError(f"{method} {path}: {value.get('error')}: {str(value.get('message'))[:500]}")
        return value

    # --- navigation and scripts ---------------------------------------------------------------------------

    def get(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    @property
    def url(self) -> str:
        return self._call("GET", self._s("/url"))

    def execute(self, script: str, *args: Any) -> Any:
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def console_log(self) -> list[dict]:
        try:
            return self._call("POST", self._s("/se/log"), {"type": "browser"})
        except WebDriverError:
            return []

    # --- elements ---------------------------------------------------------------------------------------

    def find_all(self, css: str) -> list[str]:
        return [ref[ELEMENT] for ref in self._call("POST", self._s("/elements"), {"using": "css selector", "value": css})]

    def find(self, css: str) -> str:
        found = self.find_all(css)
        if not found:
            raise WebDriverError(f"no element matches {css!r}")
        return found[0]

    def visible(self, css: str) -> bool:
        return any(self._call("GET", self._s(f"/element/{ref}/displayed")) for ref in self.find_all(css))

    def text(self, css: str) -> str:
        return self._call("GET", self._s(f"/element/{self.find(css)}/text"))

    def texts(self, css: str) -> list[str]:
        return [self._call("GET", self._s(f"/element/{ref}/text")) for ref in self.find_all(css)]

    def attribute(self, css: str, name: str) -> str | None:
        return self._call("GET", self._s(f"/element/{self.find(css)}/attribute/{name}"))

    def click(self, css: str) -> None:
        self._call("POST", self._s(f"/element/{self.find(css)}/click"))

    def type(self, css: str, text: str, clear: bool = True) -> None:
        ref = self.find(css)
        if clear:
            self._call("POST", self._s(f"/element/{ref}/clear"))
        self._call("POST", self._s(f"/element/{ref}/value"), {"text": text})

    def testid(self, name: str) -> str:
        return f'[data-testid="{name}"]'

    # --- waiting and pictures -----------------------------------------------------------------------------

    def wait_until(self, condition: Callable[[], T], timeout_s: float = 15, message: str = "condition") -> T:
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while True:
            try:
                value = condition()
                if value:
                    return value
            except WebDriverError as exc:
                last_error = exc
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout_s}s waiting for {message}" + (f" (last error: {last_error})" if last_error else "")
                )
            time.sleep(0.1)

    def set_window(self, width: int, height: int) -> None:
        self._call("POST", self._s("/window/rect"), {"width": width, "height": height})

    def screenshot(self, path: Path, full_page: bool = False, max_height: int = 6000) -> Path:
        """A PNG of the viewport, or of the whole page (its top ``max_height`` px, through the DevTools protocol)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if full_page:
            metrics = self._call("POST", self._s("/goog/cdp/execute"), {"cmd": "Page.getLayoutMetrics", "params": {}})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            width, height = int(size["width"]), min(int(size["height"]), max_height)
            data = self._call(
                "POST",
                self._s("/goog/cdp/execute"),
                {
                    "cmd": "Page.captureScreenshot",
                    "params": {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                    },
                },
            )["data"]
        else:
            data = self._call("GET", self._s("/screenshot"))
        path.write_bytes(base64.b64decode(data))
        return path

    def quit(self) -> None:
        try:
            if self.session_id:
                self._call("DELETE", self._s(""), timeout=15)
        except (WebDriverError, requests.RequestException):
            pass
        finally:
            self.session_id = None
            if self.driver.poll() is None:
                self.driver.terminate()
                try:
                    self.driver.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.driver.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
