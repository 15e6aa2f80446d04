"""Public tariff API (Chalice). Routes only: parse → call one service function → map the result."""

from __future__ import annotations

from typing import Literal

from chalice import Chalice, CORSConfig, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from functions.tariff_api.chalicelib import http, lookup, openapi, platform

app = Chalice(app_name="customs-tariff-api")
app.api.binary_types = []  # JSON only
Lang = Literal["en", "zh-TW", "ko"]
# The web page is served from another origin (CloudFront / the local gateway); it must read Retry-After on a 503.
CORS = CORSConfig(allow_origin="*", expose_headers=["Retry-After"], max_age=600)


@app.middleware("http")
def platform_error_shape(event, get_response):  # noqa: ANN001 (Chalice middleware signature)
    """Errors Chalice raises itself (e.g. 415 on a content type a route does not take) get the common shape."""
    return http.normalize_chalice_error(get_response(event))


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, min_length=1, max_length=2000, description="free-text description of the goods")
    texts: list[str] | None = Field(None, min_length=1, max_length=64, description="a batch of descriptions")
    top_k: int = Field(5, ge=1, le=20)
    lang: str | None = Field(None, max_length=8)

    @model_validator(mode="after")
    def _exactly_one_input(self) -> "ClassifyRequest":
        if (self.text is None) == (self.texts is None):
            raise PydanticCustomError("one_input", "give exactly one of 'text' or 'texts'", {"field": "text"})
        return self


class StartSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000, description="free-text description of the goods")
    lang: Lang = "en"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: str = Field(min_length=1, max_length=200)
    option_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(None, ge=1, description="the session version the answer was given to (409 if stale)")


def request_headers() -> dict:
    return app.current_request.headers


@http.json_route(app, "/v1/health", methods=["GET"], cors=CORS, summary="Versions and backend status")
def health() -> Response:
    return http.ok(platform.health())


@http.json_route(app, "/v1/whoami", methods=["GET"], cors=CORS, summary="The principal the credentials resolve to")
def whoami() -> Response:
    principal = platform.principal_for(request_headers())
    return http.ok(
        {"subject": principal.subject, "roles": sorted(r.value for r in principal.roles), "auth_method": principal.auth_method, "company_id": principal.company_id}
    )


@http.json_route(app, "/v1/classify", methods=["POST"], cors=CORS, summary="Classify one description or a batch", body=ClassifyRequest)
def classify() -> Response:
    platform.principal_for(request_headers())  # rejects bad credentials; anonymous is allowed
    request = http.parse_body(app.current_request, ClassifyRequest)
    return http.ok(platform.classifier().classify(request.model_dump(exclude_none=True)))


@http.json_route(app, "/v1/sessions", methods=["POST"], cors=CORS, summary="Start a guided classification session", body=StartSession, status=201)
def start_session() -> Response:
    platform.principal_for(request_headers())
    request = http.parse_body(app.current_request, StartSession)
    return http.ok(platform.guided().start(request.text, request.lang), status=201)


@http.json_route(app, "/v1/sessions/{session_id}", methods=["GET"], cors=CORS, summary="Get (resume) a guided session")
def get_session(session_id: str) -> Response:
    return http.ok(platform.guided().get(session_id))


@http.json_route(app, "/v1/sessions/{session_id}/answers", methods=["POST"], cors=CORS, summary="Answer the open question", body=Answer)
def answer_session(session_id: str) -> Response:
    platform.principal_for(request_headers())
    request = http.parse_body(app.current_request, Answer)
    return http.ok(platform.guided().answer(session_id, request.question_id, request.option_id, request.version))


@http.json_route(
    app,
    "/v1/hs/search",
    methods=["GET"],
    cors=CORS,
    summary="Search HS 2022 texts",
    query=(("q", "string", "words to search"), ("limit", "integer", "1-50, default 10"), ("level", "integer", "2, 4 or 6")),
)
def hs_search() -> Response:
    params = app.current_request.query_params or {}
    return http.ok(
        lookup.search(params.get("q", ""), lookup.guard_int(params.get("limit"), "limit", 10), lookup.guard_int(params.get("level"), "level", None))
    )


@http.json_route(app, "/v1/hs/{code}", methods=["GET"], cors=CORS, summary="Look up an HS code (2, 4 or 6 digits; 8517.13 accepted)")
def hs_lookup(code: str) -> Response:
    return http.ok(lookup.lookup(code))


@http.json_route(app, "/v1/hs/{code}/national-lines", methods=["GET"], cors=CORS, summary="National tariff lines under an HS6")
def national_lines(code: str) -> Response:
    return http.ok(lookup.national_lines(code))


@http.json_route(app, "/v1/openapi.json", methods=["GET"], cors=CORS, summary="This API's OpenAPI 3 document")
def openapi_document() -> Response:
    return http.ok(openapi.build_openapi(app))


@app.route("/v1/docs", methods=["GET"])
def docs() -> Response:
    return Response(body=openapi.docs_page(openapi.build_openapi(app)), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
