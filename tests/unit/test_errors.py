from pydantic import BaseModel, Field, ValidationError

from customs.errors import ApiError, error_body, from_pydantic, route_not_found_body


class Payload(BaseModel):
    text: str = Field(min_length=1)
    top_k: int = 5


def test_pydantic_error_names_the_offending_field():
    try:
        Payload.model_validate({"text": "x", "top_k": "many"})
    except ValidationError as exc:
        error = from_pydantic(exc)
    assert isinstance(error, ApiError)
    assert error.status == 400
    assert error.field == "top_k"
    assert error.body()["error"]["field"] == "top_k"


def test_error_shape_is_stable():
    assert error_body("x", "y") == {"error": {"code": "x", "message": "y"}}
    assert route_not_found_body("GET", "/v1/nope")["error"] == {
        "code": "route_not_found",
        "message": "no route for GET /v1/nope",
        "field": "path",
    }
