"""The OpenAPI document tells the truth about errors and media types: every operation declares
the problem statuses with the shared Problem schema, and error bodies validate against it."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient

from warroom.api.openapi import ERROR_STATUSES
from warroom.testing.runtime import Users

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, path, item[m]) for path, item in document["paths"].items()
            for m in METHODS if m in item]


def test_every_operation_declares_problem_statuses(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    operations = _operations(document)
    assert len(operations) > 80
    for method, path, op in operations:
        for status in (401, 403, 404, 409, 413, 422, 429):
            declared = op["responses"].get(str(status))
            assert declared, f"{method.upper()} {path} does not declare {status}"
            # Alertmanager's API (/api/v2/...) may also declare its own error body.
            assert declared["content"]["application/problem+json"] == {
                "schema": {"$ref": "#/components/schemas/Problem"}}
            assert path.startswith("/api/v2/") or len(declared["content"]) == 1, (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert set(ERROR_STATUSES) >= {400, 401, 403, 404, 409, 413, 415, 422, 429}


def test_error_bodies_match_the_problem_schema(client: TestClient, users: Users) -> None:
    document = client.get("/api/v1/openapi.json").json()
    problem = {**document["components"]["schemas"]["Problem"],
               "components": document["components"]}
    validator = jsonschema_rs.validator_for(problem)
    answers = [
        client.get("/api/v1/incidents"),                                         # 401
        client.post("/api/v1/users", json={"name": "x"}, headers=users.headers("viewer")),
        client.get("/api/v1/incidents/INC-1999-0001", headers=users.headers("viewer")),
        client.post("/api/v1/incidents", json={"title": ""}, headers=users.headers("admin")),
        client.get("/api/v1/incidents?q=%00", headers=users.headers("viewer")),  # guard
    ]
    assert [a.status_code for a in answers] == [401, 403, 404, 422, 400]
    for answer in answers:
        assert answer.headers["content-type"] == "application/problem+json"
        validator.validate(answer.json())


def test_calendar_feeds_declare_text_calendar(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    ok = document["paths"]["/api/v1/users/{user}/oncall.ics"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/calendar; charset=utf-8"]
