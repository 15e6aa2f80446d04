from __future__ import annotations

import pytest

from customs.errors import ApiError
from customs.hs import get_nomenclature
from functions.tariff_api.chalicelib.dialogue import NOT_SURE, DialogueEngine
from functions.tariff_api.chalicelib.guided import PRIOR_CANDIDATES, GuidedService
from tests.unit.tariff_api.fakes import CannedClassifier, InMemorySessions
from tests.unit.tariff_api.test_dialogue import SHIRTS


@pytest.fixture
def service() -> GuidedService:
    return GuidedService(CannedClassifier(SHIRTS), InMemorySessions(), DialogueEngine(get_nomenclature()))


def test_start_asks_the_classifier_for_the_prior_and_stores_the_session(service):
    view = service.start("men's cotton shirt", "zh-TW")
    assert service._classifier.calls[0]["top_k"] == PRIOR_CANDIDATES
    assert view["version"] == 1 and view["status"] == "asking" and view["lang"] == "zh-TW"
    assert view["question"]["options"][-1]["label"] == "不確定"
    assert service.get(view["session_id"]) == view


def test_the_session_shows_how_the_classifier_read_the_description():
    # Given a classifier that read a Korean description through its English translation
    service = GuidedService(CannedClassifier(SHIRTS, read_as="men's cotton knitted t-shirt"), InMemorySessions(),
                            DialogueEngine(get_nomenclature()))
    view = service.start("남성용 면 니트 티셔츠", "ko")
    # Then the view says so, and keeps saying so when the session is loaded again
    assert view["description"] == "남성용 면 니트 티셔츠" and view["read_as"] == "men's cotton knitted t-shirt"
    assert service.get(view["session_id"])["read_as"] == view["read_as"]
    # An English description read as written has none
    assert GuidedService(CannedClassifier(SHIRTS), InMemorySessions(), DialogueEngine(get_nomenclature())).start("shirt")["read_as"] is None


def test_an_answer_bumps_the_version_and_a_stale_version_is_409(service):
    view = service.start("shirt")
    after = service.answer(view["session_id"], view["question"]["id"], NOT_SURE, version=1)
    assert after["version"] == 2 and after["history"][0]["answer_id"] == NOT_SURE
    with pytest.raises(ApiError) as raised:
        service.answer(view["session_id"], after["question"]["id"], NOT_SURE, version=1)
    assert (raised.value.status, raised.value.field) == (409, "version")


def test_racing_answers_cannot_both_apply(service):
    view = service.start("shirt")
    store = service._store
    first, second = store.get(view["session_id"]), store.get(view["session_id"])
    service._engine.answer(first.state, first.state["question"]["id"], NOT_SURE)
    store.save(first)
    service._engine.answer(second.state, second.state["question"]["id"], NOT_SURE)
    from functions.tariff_api.chalicelib.sessions import SessionConflict

    with pytest.raises(SessionConflict):
        store.save(second)


@pytest.mark.parametrize(
    "session_id, status, field",
    [("not-hex", 400, "session_id"), ("f" * 32, 404, "session_id")],
)
def test_bad_or_unknown_session_ids(service, session_id, status, field):
    with pytest.raises(ApiError) as raised:
        service.get(session_id)
    assert (raised.value.status, raised.value.field) == (status, field)


def test_an_option_not_offered_is_a_400_naming_option_id(service):
    view = service.start("shirt")
    with pytest.raises(ApiError) as raised:
        service.answer(view["session_id"], view["question"]["id"], "unobtainium", None)
    assert (raised.value.status, raised.value.field) == (400, "option_id")


def test_answering_a_finished_session_is_a_409(service):
    view = service.start("shirt")
    while view["status"] == "asking":
        view = service.answer(view["session_id"], view["question"]["id"], NOT_SURE, None)
    with pytest.raises(ApiError) as raised:
        service.answer(view["session_id"], "anything", NOT_SURE, None)
    assert raised.value.status == 409


def test_a_finished_session_is_announced_for_the_on_premises_platform():
    class Recording:
        def __init__(self):
            self.events = []

        def publish(self, event_type, detail):
            self.events.append((event_type, detail))

    events = Recording()
    service = GuidedService(CannedClassifier(SHIRTS), InMemorySessions(), DialogueEngine(get_nomenclature()), events)
    view = service.start("men's cotton shirt")
    while view["status"] == "asking":
        assert events.events == []  # nothing is announced while the session is open
        view = service.answer(view["session_id"], view["question"]["id"], NOT_SURE, None)
    [(event_type, detail)] = events.events
    assert event_type == "classification.session_finished"
    assert detail["hs6"] == view["result"]["hs6"] and detail["description"] == "men's cotton shirt"
