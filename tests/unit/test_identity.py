import pytest

from customs.errors import ApiError
from customs.identity import (
    ANONYMOUS,
    ApiClient,
    Role,
    agency_for_queue,
    authenticate,
    hash_api_key,
    principal_from_claims,
)


class InMemoryKeys:
    def __init__(self, keys: dict[str, ApiClient]):
        self._by_hash = {hash_api_key(k): v for k, v in keys.items()}

    def find_by_hash(self, key_hash):
        return self._by_hash.get(key_hash)


KEYS = InMemoryKeys({"sk_good": ApiClient("c1", "Broker Ltd"), "sk_off": ApiClient("c2", "Old", enabled=False)})


def test_no_credentials_is_the_anonymous_public_principal():
    assert authenticate({}, api_keys=KEYS, verifier=None) is ANONYMOUS


def test_api_key_resolves_to_an_api_client():
    principal = authenticate({"X-Api-Key": "sk_good"}, api_keys=KEYS, verifier=None)
    assert principal.has(Role.API_CLIENT) and principal.subject == "api-client:c1"


@pytest.mark.parametrize("key", ["sk_unknown", "sk_off"])
def test_unknown_or_disabled_key_is_401(key):
    with pytest.raises(ApiError) as raised:
        authenticate({"x-api-key": key}, api_keys=KEYS, verifier=None)
    assert raised.value.status == 401


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   "])
def test_malformed_authorization_header_is_401(header):
    with pytest.raises(ApiError) as raised:
        authenticate({"Authorization": header}, api_keys=KEYS, verifier=None)
    assert raised.value.status == 401


def test_claims_map_groups_to_roles_and_company():
    officer = principal_from_claims({"sub": "u1", "cognito:groups": ["customs-officers"]})
    assert officer.has(Role.CUSTOMS_OFFICER)
    company = principal_from_claims({"sub": "u2", "cognito:groups": ["company-users"], "custom:company_id": "TW-123"})
    assert company.has(Role.COMPANY_USER) and company.company_id == "TW-123"
    # A company user without a company id acts for nobody.
    orphan = principal_from_claims({"sub": "u3", "cognito:groups": ["company-users"]})
    assert not orphan.has(Role.COMPANY_USER)


def test_company_user_sees_only_its_own_company_officer_sees_all():
    company = principal_from_claims({"sub": "u2", "cognito:groups": ["company-users"], "custom:company_id": "TW-123"})
    company.require_company("TW-123")
    with pytest.raises(ApiError) as raised:
        company.require_company("TW-999")
    assert raised.value.status == 403
    principal_from_claims({"sub": "o", "cognito:groups": ["customs-officers"]}).require_company("TW-999")


def test_require_role():
    with pytest.raises(ApiError) as raised:
        ANONYMOUS.require(Role.CUSTOMS_OFFICER)
    assert raised.value.status == 403


def test_agency_is_identified_by_its_queue_not_by_its_message():
    mapping = {"customs-prod-vehicles-in-mvr": "MVR"}
    principal = agency_for_queue("arn:aws:sqs:us-east-1:1:customs-prod-vehicles-in-mvr", mapping)
    assert principal.agency_id == "MVR" and principal.has(Role.AGENCY)
    with pytest.raises(ApiError):
        agency_for_queue("arn:aws:sqs:us-east-1:1:someone-else", mapping)
