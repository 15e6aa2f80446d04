"""The public API served by Chalice's local server, over real HTTP, against the emulator."""

from __future__ import annotations

import requests

from customs.api_keys import DynamoApiKeyStore


def test_health_reports_versions_and_emulator_status(platform):
    response = requests.get(f"{platform.api_url}/v1/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["emulator"] == {"status": "ok", "endpoint": platform.emulator.endpoint_url}
    assert body["versions"]["boto3"] and body["versions"]["platform"]


def test_unknown_route_is_a_404_json_error_naming_the_path(platform):
    response = requests.get(f"{platform.api_url}/v1/no-such-thing", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "route_not_found", "message": "no route for GET /v1/no-such-thing", "field": "path"}


def test_malformed_json_body_is_a_400_naming_the_body(platform):
    response = requests.post(f"{platform.api_url}/v1/classify", data='{"text": "tea', headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json" and response.json()["error"]["field"] == "body"


def test_wrong_content_type_is_a_415(platform):
    response = requests.post(f"{platform.api_url}/v1/classify", data="text=tea", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert response.status_code == 415
    assert response.json()["error"]["field"] == "Content-Type"


def test_missing_and_wrong_typed_fields_are_named(platform):
    missing = requests.post(f"{platform.api_url}/v1/classify", json={}, timeout=10)
    wrong = requests.post(f"{platform.api_url}/v1/classify", json={"text": "tea", "top_k": "five"}, timeout=10)
    assert (missing.status_code, missing.json()["error"]["field"]) == (400, "text")
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (400, "top_k")


def test_body_too_large_is_a_413(platform):
    response = requests.post(f"{platform.api_url}/v1/classify", json={"text": "x" * 300_000}, timeout=10)
    assert response.status_code == 413


def test_jwt_from_the_dev_issuer_is_verified_against_its_jwks(platform):
    token = platform.issuer.mint("company_user", subject="alice", company_id="TW-12345678")
    body = requests.get(f"{platform.api_url}/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert body == {"subject": "alice", "roles": ["company_user", "public"], "auth_method": "jwt", "company_id": "TW-12345678"}


def test_expired_or_foreign_tokens_are_401(platform):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    expired = platform.issuer.mint("customs_officer", ttl_s=-120)
    foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({"sub": "mallory", "iss": platform.issuer.issuer, "exp": 4102444800, "cognito:groups": ["customs-officers"]}, foreign_key, algorithm="RS256", headers={"kid": platform.issuer.kid})
    for token in (expired, forged, "not-a-jwt"):
        response = requests.get(f"{platform.api_url}/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "unauthorized"


def test_api_key_is_checked_against_the_hashed_key_table(platform):
    api_key = DynamoApiKeyStore().issue("broker-7", "Broker Seven Ltd")
    good = requests.get(f"{platform.api_url}/v1/whoami", headers={"X-Api-Key": api_key}, timeout=10)
    bad = requests.get(f"{platform.api_url}/v1/whoami", headers={"X-Api-Key": api_key + "x"}, timeout=10)
    assert good.json()["auth_method"] == "api_key" and "api_client" in good.json()["roles"]
    assert bad.status_code == 401


def test_classifier_failure_maps_to_503_with_retry_hint_not_a_hang(platform, monkeypatch):
    # Given a classifier that is not deployed (an unknown function name at the invoke endpoint)
    from functions.tariff_api.chalicelib import platform as api_platform

    monkeypatch.setattr(api_platform, "classifier", lambda: api_platform.LambdaClassifierClient("no-such-function", 2.0))
    response = requests.post(f"{platform.api_url}/v1/classify", json={"text": "green tea"}, timeout=10)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json()["error"]["code"] == "classifier_unavailable"
