"""The JSON API under /api/v1, and its OpenAPI description."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web.pages import bodies, link, links_of, outbox_messages


def confirm_token(outbox: Path) -> str:
    return link(bodies(outbox_messages(outbox)[-1])[0], "confirm").rsplit("/", 1)[1]


def test_subscribe_confirm_read_change_and_unsubscribe(
    client: TestClient, outbox: Path, clean_db: Engine
) -> None:
    created = client.post(
        "/api/v1/subscriptions",
        json={"email": "Api@Example.org", "topics": ["llm", "agents"], "send_hour": 6},
    )
    assert created.status_code == 202
    assert created.json()["status"] == "accepted"

    confirmed = client.post("/api/v1/subscriptions/confirm", json={"token": confirm_token(outbox)})
    assert confirmed.status_code == 200
    body = confirmed.json()
    assert (body["email"], body["status"], body["topics"], body["send_hour"]) == (
        "api@example.org",
        "active",
        ["llm", "agents"],
        6,
    )

    manage = links_of(clean_db, "api@example.org").manage.rsplit("/", 1)[1]
    assert client.get(f"/api/v1/subscriptions/{manage}").json()["status"] == "active"
    changed = client.patch(
        f"/api/v1/subscriptions/{manage}", json={"frequency": "weekly", "weekly_day": 6}
    )
    assert changed.status_code == 200
    assert (changed.json()["frequency"], changed.json()["topics"]) == ("weekly", ["llm", "agents"])

    unsubscribe = links_of(clean_db, "api@example.org").unsubscribe.rsplit("/", 1)[1]
    gone = client.post("/api/v1/subscriptions/unsubscribe", json={"token": unsubscribe})
    assert gone.status_code == 200 and gone.json()["status"] == "unsubscribed"
    ended = client.patch(f"/api/v1/subscriptions/{manage}", json={"send_hour": 9})
    assert ended.status_code == 409 and ended.json()["code"] == "subscription_ended"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@example.org", "topics": ["astrology"]}, "topics"),
        ({"email": "a@example.org", "interests": "x" * 1001}, "interests"),
        ({"email": "a" * 300 + "@example.org"}, "email"),
        ({"email": "a@example.org", "timezone": "Nowhere/Land"}, "timezone"),
        ({"email": "a@example.org\r\nBcc: b@example.org"}, "email"),
        ({"email": "a@example.org", "send_hour": 24}, "send_hour"),
    ],
)
def test_bad_fields_get_422_naming_the_field(
    client: TestClient, payload: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/subscriptions", json=payload)
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]


def test_forged_tokens_get_404_with_a_code(client: TestClient) -> None:
    for method, path, body in [
        ("POST", "/api/v1/subscriptions/confirm", {"token": "forged"}),
        ("POST", "/api/v1/subscriptions/unsubscribe", {"token": "forged"}),
        ("GET", "/api/v1/subscriptions/forged", None),
    ]:
        response = client.request(method, path, json=body)
        assert response.status_code == 404
        assert response.json()["code"] == "invalid_token"


def test_the_openapi_document_declares_the_api_and_its_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    create = spec["paths"]["/api/v1/subscriptions"]["post"]
    assert set(create["responses"]) >= {"202", "413", "422", "429"}
    assert {"404", "409"} <= set(
        spec["paths"]["/api/v1/subscriptions/confirm"]["post"]["responses"]
    )
    topics = spec["components"]["schemas"]["SubscriptionCreate"]["properties"]["topics"]
    assert "llm" in str(topics)
    assert not any(path.startswith(("/manage", "/confirm", "/subscribe")) for path in spec["paths"])


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_number_json_cannot_hold_is_a_422_not_a_500(client: TestClient, number: str) -> None:
    body = '{"email": "reader@example.org", "send_hour": ' + number + "}"
    response = client.post(
        "/api/v1/subscriptions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "send_hour"]


@pytest.mark.parametrize("field", ["email", "interests"])
def test_a_lone_surrogate_in_a_field_is_a_422_not_a_500(client: TestClient, field: str) -> None:
    # JSON's \ud800 escape decodes to a string UTF-8 cannot encode; the 422 echoes the
    # input back, so it must encode it somehow (as "?").
    fields = {"email": '"reader@example.org"', "interests": '"agents"'}
    fields[field] = '"ok \\ud800"'
    body = "{" + ", ".join(f'"{name}": {value}' for name, value in fields.items()) + "}"
    response = client.post(
        "/api/v1/subscriptions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert response.json()["detail"][0]["input"] == "ok ?"


@pytest.mark.parametrize("field", ["send_hour", "weekly_day"])
def test_true_or_false_is_not_an_hour_or_a_day(
    client: TestClient, clean_db: Engine, field: str
) -> None:
    for value in (True, False):
        response = client.post(
            "/api/v1/subscriptions", json={"email": "reader@example.org", field: value}
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", field]
    assert client.post(
        "/api/v1/subscriptions", json={field: 3, "email": "r@example.org"}
    ).is_success
