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
