"""Guided classification through the public API, the real classifier (lambda.invoke → the invoke endpoint →
the container function's handler with the committed int8 model) and DynamoDB sessions on the emulator."""

from __future__ import annotations

import json
import threading

import boto3

import pytest
import requests

NOT_SURE = "not_sure"


@pytest.fixture
def api(platform):
    def call(method: str, path: str, **kwargs):
        return requests.request(method, f"{platform.api_url}{path}", timeout=30, **kwargs)

    return call


def test_classify_one_and_a_batch(api):
    one = api("POST", "/v1/classify", json={"text": "men's knitted cotton t-shirt", "top_k": 3})
    assert one.status_code == 200, one.text
    result = one.json()["results"][0]
    assert len(result["candidates"]) == 3 and result["candidates"][0]["hs6"].isdigit()
    batch = api("POST", "/v1/classify", json={"texts": ["bicycle", "frozen shrimp"]})
    assert batch.status_code == 200 and len(batch.json()["results"]) == 2


def test_classify_a_chinese_description_over_http(api):
    # Given a trader who writes in Traditional Chinese (UTF-8 through API Gateway-style JSON and lambda.invoke)
    response = api("POST", "/v1/classify", json={"text": "筆記型電腦", "lang": "zh-TW", "top_k": 3})
    # Then the laptop subheading comes back, and the text is echoed as written
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["text"] == "筆記型電腦"
    assert "847130" in [c["hs6"] for c in result["candidates"]]


@pytest.mark.parametrize(
    ("text", "hs6"),
    [
        # a Korean importer: no language hint, the script of the goods field decides (the Korean index)
        ("노트북 컴퓨터; LENOVO; CHINA", "847130"),
        # an exporter who declares in German: the words decide (the EU tariff lexicon)
        ("Garnelen, geschält, gefroren; 10 kg Karton", "030617"),
    ],
)
def test_classify_a_description_in_another_language_over_http(api, text, hs6):
    response = api("POST", "/v1/classify", json={"text": text, "top_k": 3})
    # Then the right subheading comes back first, and the text is echoed as written
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["text"] == text
    assert result["candidates"][0]["hs6"] == hs6


@pytest.mark.parametrize(
    "body, field",
    [({"text": "   !!! "}, "text"), ({"texts": ["x"] * 65}, "texts"), ({"text": "tea", "texts": ["tea"]}, "text"), ({"text": 42}, "text")],
)
def test_classify_bad_input_is_a_400_naming_the_field(api, body, field):
    response = api("POST", "/v1/classify", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field


def test_a_guided_session_runs_to_a_code_can_be_resumed_and_is_exported(api, platform):
    started = api("POST", "/v1/sessions", json={"text": "men's shirt", "lang": "en"})
    assert started.status_code == 201, started.text
    view = started.json()
    session_id = view["session_id"]
    while view["status"] == "asking":
        assert view["question"]["options"][-1]["id"] == NOT_SURE
        option = view["question"]["options"][0]["id"]
        response = api("POST", f"/v1/sessions/{session_id}/answers", json={"question_id": view["question"]["id"], "option_id": option, "version": view["version"]})
        assert response.status_code == 200, response.text
        view = response.json()
    assert view["result"]["hs6"].isdigit() and len(view["result"]["hs6"]) == 6
    assert view["result"]["path_text"] and len(view["history"]) <= 6
    resumed = api("GET", f"/v1/sessions/{session_id}")
    assert resumed.status_code == 200 and resumed.json()["result"] == view["result"]
    # The finished session went to the export queue the on-premises platform drains
    sqs = boto3.client("sqs", endpoint_url=platform.emulator.endpoint_url, region_name="us-east-1")
    exported = []
    while batch := sqs.receive_message(QueueUrl=platform.env["CUSTOMS_QUEUE_PLATFORM_EXPORT_URL"], MaxNumberOfMessages=10).get("Messages", []):
        exported += [json.loads(m["Body"]) for m in batch]
    assert any(e["type"] == "classification.session_finished" and e["detail"]["session_id"] == session_id for e in exported)
    # ... and it triggers the open-data statistics rebuild
    triggers = []
    while batch := sqs.receive_message(QueueUrl=platform.env["CUSTOMS_QUEUE_OPEN_DATA_EVENTS_URL"], MaxNumberOfMessages=10).get("Messages", []):
        triggers += [json.loads(m["Body"]) for m in batch]
    assert any(t.get("source") == "tariff_api" and t["detail"]["session_id"] == session_id for t in triggers)


def test_two_racing_answers_cannot_both_apply(api):
    view = api("POST", "/v1/sessions", json={"text": "shirt"}).json()
    if view["status"] != "asking":
        pytest.fail("a session on an ambiguous description must ask a question")
    body = {"question_id": view["question"]["id"], "option_id": NOT_SURE, "version": view["version"]}
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def answer() -> None:
        barrier.wait()
        codes.append(api("POST", f"/v1/sessions/{view['session_id']}/answers", json=body).status_code)

    threads = [threading.Thread(target=answer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 409]
    assert len(api("GET", f"/v1/sessions/{view['session_id']}").json()["history"]) == 1


@pytest.mark.parametrize(
    "path, body, status, field",
    [
        ("/v1/sessions/" + "0" * 32, None, 404, "session_id"),
        ("/v1/sessions/not-a-session", None, 400, "session_id"),
    ],
)
def test_unknown_or_malformed_session(api, path, body, status, field):
    response = api("GET", path)
    assert (response.status_code, response.json()["error"]["field"]) == (status, field)


def test_answer_with_an_option_not_offered_is_a_400(api):
    view = api("POST", "/v1/sessions", json={"text": "shirt"}).json()
    response = api("POST", f"/v1/sessions/{view['session_id']}/answers", json={"question_id": view["question"]["id"], "option_id": "unobtainium"})
    assert (response.status_code, response.json()["error"]["field"]) == (400, "option_id")


def test_start_session_with_wrong_types(api):
    response = api("POST", "/v1/sessions", json={"text": "shirt", "lang": "klingon"})
    assert (response.status_code, response.json()["error"]["field"]) == (400, "lang")


@pytest.mark.parametrize(
    "path, status, field",
    [("/v1/hs/8517.13", 200, None), ("/v1/hs/8517 13", 200, None), ("/v1/hs/85171", 400, "code"), ("/v1/hs/0106.99", 404, "code"), ("/v1/hs/abcd", 400, "code")],
)
def test_hs_lookup(api, path, status, field):
    response = api("GET", path)
    assert response.status_code == status, response.text
    if field:
        assert response.json()["error"]["field"] == field
    else:
        assert response.json()["code"] == "851713" and response.json()["path"][0]["code"] == "85"


def test_hs_search_and_its_bad_parameters(api):
    found = api("GET", "/v1/hs/search", params={"q": "bicycle", "limit": 3})
    assert found.status_code == 200 and any(r["code"].startswith("8712") for r in found.json()["results"])
    for params, field in (({"q": ""}, "q"), ({"q": "tea", "limit": "lots"}, "limit"), ({"q": "tea", "level": 5}, "level")):
        response = api("GET", "/v1/hs/search", params=params)
        assert (response.status_code, response.json()["error"]["field"]) == (400, field)


def test_national_lines_under_an_hs6(api):
    response = api("GET", "/v1/hs/610910/national-lines")
    assert response.status_code == 200
    assert all(line["code"].startswith("610910") for line in response.json()["lines"])
    assert api("GET", "/v1/hs/6109/national-lines").json()["error"]["field"] == "hs6"


def test_openapi_document_and_docs_page(api):
    document = api("GET", "/v1/openapi.json").json()
    assert document["openapi"].startswith("3.") and "/v1/sessions/{session_id}/answers" in document["paths"]
    assert "StartSession" in document["components"]["schemas"]
    page = api("GET", "/v1/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html") and "/v1/classify" in page.text
