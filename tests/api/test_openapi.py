import json
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_the_document_is_valid_openapi(app: Any) -> None:
    validate(app.openapi())


def test_the_committed_document_matches_the_app(app: Any) -> None:
    assert json.loads(COMMITTED.read_text()) == app.openapi(), "run `make openapi` and commit"


def test_operations_have_readable_ids_tags_and_problem_errors(app: Any) -> None:
    document = app.openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation["operationId"].isidentifier(), where
            assert "_" in operation["operationId"] or operation["operationId"].isalpha(), where
            assert operation.get("tags"), where
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], where
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                schema = body["schema"]
                ref = schema.get("$ref", "").rsplit("/", 1)[-1]
                examples = document["components"]["schemas"].get(ref, {}).get("examples")
                assert examples or body.get("example"), f"{where} has no request example"


def declared_headers(
    document: dict[str, Any], response: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """A response's declared headers, references resolved."""
    components = document["components"]["headers"]
    return {
        name: components[header["$ref"].rsplit("/", 1)[-1]] if "$ref" in header else header
        for name, header in response.get("headers", {}).items()
    }


def test_every_response_declares_its_headers(app: Any) -> None:
    """X-Request-ID on every response of every operation; Retry-After on every 429 and 503."""
    document = app.openapi()
    statuses = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                where = f"{method.upper()} {path} {status}"
                headers = declared_headers(document, response)
                assert headers["X-Request-ID"]["required"] is True, where
                if status in ("429", "503"):
                    assert headers["Retry-After"]["required"] is True, where
                    assert headers["Retry-After"]["schema"]["type"] == "integer", where
                else:
                    assert "Retry-After" not in headers, where
                statuses.add(status)
    assert {"200", "204", "304", "429", "503"} <= statuses


def test_the_demand_poll_declares_its_headers(app: Any) -> None:
    document = app.openapi()
    responses = document["paths"]["/v1/demand"]["get"]["responses"]
    for status in ("200", "304"):
        headers = declared_headers(document, responses[status])
        assert set(headers) == {"ETag", "X-Poll-Interval", "X-Request-ID"}, status
        assert all(header["required"] for header in headers.values()), status
    assert "content" not in responses["304"]
