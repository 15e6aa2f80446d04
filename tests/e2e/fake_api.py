"""A tiny stand-in for the public tariff API (docs/api.md), serving canned guided sessions and the web page.

It lets the page's tests reach states the real platform only reaches on a bad day (a 503 with Retry-After from a
classifier that is down) and keeps the language check independent of the model. Canned flow: "material"
(attribute) → "national" (choice of national line) → done, in English or Traditional Chinese.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
UNAVAILABLE_TRIGGER = "classifier down"

TEXTS = {
    "material": {"en": "What is it mainly made of?", "zh-TW": "主要是什麼材質？"},
    "cotton": {"en": "Cotton", "zh-TW": "棉"},
    "synthetic": {"en": "Synthetic or man-made fibres", "zh-TW": "合成或人造纖維"},
    "national": {"en": "Which national tariff line fits it best?", "zh-TW": "哪一個國家稅則號列最符合？"},
    "not_sure": {"en": "Not sure", "zh-TW": "不確定"},
}
CANDIDATES = [
    {
        "hs6": "610910",
        "probability": 0.62,
        "description": "T-shirts, singlets and other vests; of cotton, knitted or crocheted",
        "path_text": "Apparel and clothing accessories; knitted or crocheted > T-shirts, singlets and other vests, knitted or crocheted > Of cotton",
    },
    {
        "hs6": "610990",
        "probability": 0.31,
        "description": "T-shirts, singlets and other vests; of textile materials (other than cotton), knitted or crocheted",
        "path_text": "Apparel and clothing accessories; knitted or crocheted > T-shirts, singlets and other vests, knitted or crocheted > Of other textile materials",
    },
    {
        "hs6": "620520",
        "probability": 0.07,
        "description": "Shirts; men's or boys', of cotton",
        "path_text": "Apparel and clothing accessories; not knitted or crocheted > Men's or boys' shirts > Of cotton",
    },
]
LINES = [
    {
        "code": "6109100010",
        "description": "T-shirts",
        "self_describing_text": "T-shirts — under: T-shirts, singlets and other vests > Of cotton",
        "hs6": "610910",
        "indent": 2,
        "parent_code": "610910",
        "duty_columns": {},
        "unit": None,
    },
    {
        "code": "6109100090",
        "description": "Other",
        "self_describing_text": "Other (excl. T-shirts) — under: T-shirts, singlets and other vests > Of cotton",
        "hs6": "610910",
        "indent": 2,
        "parent_code": "610910",
        "duty_columns": {},
        "unit": None,
    },
]


class FakeApi:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the contract -----------------------------------------------------------------------------------

    def start_session(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "validation_error", "text must be a non-empty string", "text")
        if UNAVAILABLE_TRIGGER in text:
            status, payload, _ = _error(503, "classifier_unavailable", "the classifier is unavailable; retry shortly")
            return status, payload, {"Retry-After": "5"}
        lang = body.get("lang", "en")
        session = {"session_id": uuid.uuid4().hex, "version": 1, "description": text, "lang": lang, "step": "material", "history": []}
        self.sessions[session["session_id"]] = session
        return 201, self.view(session), {}

    def answer(self, session_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        session = self.sessions.get(session_id)
        if session is None:
            return _error(404, "not_found", "session not found", "session_id")
        if body.get("version") is not None and body["version"] != session["version"]:
            return _error(
                409, "version_conflict", f"session is at version {session['version']}, not {body['version']}; reload it", "version"
            )
        question = self.view(session)["question"]
        if question is None or body.get("question_id") != question["id"]:
            return _error(400, "invalid_answer", "question_id is not the open question", "question_id")
        option = next((o for o in question["options"] if o["id"] == body.get("option_id")), None)
        if option is None:
            return _error(400, "invalid_answer", "option_id is not offered", "option_id")
        session["history"].append(
            {"question_id": question["id"], "question": question["text"], "answer_id": option["id"], "answer": option["label"]}
        )
        session["chosen_line"] = (
            option["id"] if session["step"] == "national" and option["id"] != "not_sure" else session.get("chosen_line")
        )
        session["step"] = {"material": "national", "national": "done"}[session["step"]]
        session["version"] += 1
        return 200, self.view(session), {}

    def view(self, session: dict[str, Any]) -> dict[str, Any]:
        lang = session["lang"] if session["lang"] in ("en", "zh-TW") else "en"
        say = lambda key: TEXTS[key].get(lang) or TEXTS[key]["en"]
        question = None
        if session["step"] == "material":
            question = {
                "id": "material",
                "kind": "attribute",
                "text": say("material"),
                "options": [
                    {"id": "cotton", "label": say("cotton")},
                    {"id": "synthetic", "label": say("synthetic")},
                    {"id": "not_sure", "label": say("not_sure")},
                ],
            }
        elif session["step"] == "national":
            question = {
                "id": "national:610910:10",
                "kind": "national",
                "text": say("national"),
                "options": [{"id": line["code"], "label": line["description"]} for line in LINES]
                + [{"id": "not_sure", "label": say("not_sure")}],
            }
        candidates = (
            copy.deepcopy(CANDIDATES)
            if session["step"] == "material"
            else [{**CANDIDATES[0], "probability": 0.93}, {**CANDIDATES[1], "probability": 0.05}, {**CANDIDATES[2], "probability": 0.02}]
        )
        result = None
        if session["step"] == "done":
            chosen = next((line for line in LINES if line["code"] == session.get("chosen_line")), None)
            result = {
                "hs6": "610910",
                "probability": 0.93,
                "description": CANDIDATES[0]["description"],
                "path": [
                    {"level": "chapter", "code": "61", "description": "Apparel and clothing accessories; knitted or crocheted"},
                    {"level": "heading", "code": "6109", "description": "T-shirts, singlets and other vests, knitted or crocheted"},
                    {"level": "subheading", "code": "610910", "description": "Of cotton"},
                ],
                "path_text": CANDIDATES[0]["path_text"],
                "alternatives": candidates[1:],
                "national_line": chosen,
                "national_lines": LINES,
                "questions_asked": len(session["history"]),
            }
        return {
            "session_id": session["session_id"],
            "version": session["version"],
            "status": "done" if result else "asking",
            "description": session["description"],
            "lang": lang,
            "question": question,
            "candidates": candidates,
            "history": session["history"],
            "result": result,
            "expires_at": "2026-11-27T08:00:00+00:00",
        }


def _error(status: int, code: str, message: str, field: str | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"error": {"code": code, "message": message, "field": field}}, {}


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "Retry-After")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, result: tuple[int, dict[str, Any], dict[str, str]]) -> None:
            status, payload, headers = result
            self._send(status, json.dumps(payload, ensure_ascii=False).encode(), headers=headers)

        def do_OPTIONS(self) -> None:
            self._send(
                200,
                b"",
                "text/plain",
                {
                    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
                    "Access-Control-Allow-Headers": "Content-Type,Authorization,X-Api-Key",
                },
            )

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            api.requests.append(("GET", path, None))
            if path.startswith("/web"):
                file = (WEB_ROOT / (path.removeprefix("/web").lstrip("/") or "index.html")).resolve()
                if WEB_ROOT in file.parents and file.is_file():
                    return self._send(200, file.read_bytes(), mimetypes.guess_type(file.name)[0] or "application/octet-stream")
            if path.startswith("/v1/sessions/"):
                session = api.sessions.get(path.removeprefix("/v1/sessions/"))
                return self._json((200, api.view(session), {}) if session else _error(404, "not_found", "session not found", "session_id"))
            self._json(_error(404, "not_found", f"no route GET {path}"))

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            except json.JSONDecodeError:
                return self._json(_error(400, "invalid_json", "the body is not valid JSON", "body"))
            api.requests.append(("POST", path, body))
            if path == "/v1/sessions":
                return self._json(api.start_session(body))
            if path.startswith("/v1/sessions/") and path.endswith("/answers"):
                return self._json(api.answer(path.removeprefix("/v1/sessions/").removesuffix("/answers"), body))
            self._json(_error(404, "not_found", f"no route POST {path}"))

    return Handler
