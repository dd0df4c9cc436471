"""Admin URLs naming impossible ids, days or pages get 404/422, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.admin.conftest import csrf_from

HUGE = "9" * 20


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/admin/editions/{HUGE}"),
        ("get", f"/admin/api/editions/{HUGE}/progress"),
        ("post", f"/admin/editions/{HUGE}/pause"),
        ("get", f"/admin/subscribers/{HUGE}"),
        ("get", f"/admin/subscribers/{HUGE}/preview"),
        ("post", f"/admin/subscribers/{HUGE}/send-test"),
        ("post", f"/admin/subscribers/{HUGE}/unsubscribe"),
        ("post", f"/admin/subscribers/{HUGE}/suppress"),
        ("get", "/admin/subscribers/1/preview?day=9999-12-31"),
        ("get", "/admin/subscribers/1/preview?day=0001-01-01"),
        ("get", "/admin/papers?day=9999-12-31"),
        ("get", f"/admin/editions?page={HUGE}"),
        ("get", f"/admin/subscribers?page={HUGE}"),
        ("get", f"/admin/papers?page={HUGE}"),
        ("get", f"/admin/outbox?page={HUGE}"),
    ],
)
def test_impossible_ids_days_and_pages_are_refused_not_crashed(
    admin_client: TestClient, method: str, path: str
) -> None:
    if method == "post":
        token = csrf_from(admin_client.get("/admin/subscribers").text)
        response = admin_client.post(path, data={"csrf_token": token, "day": "9999-12-31"})
    else:
        response = admin_client.get(path)
    assert response.status_code in (404, 422), (response.status_code, response.text[:300])


@pytest.mark.parametrize(
    "path", [f"/admin/subscribers/{HUGE}", "/admin/subscribers/1/preview?day=9999-12-31"]
)
def test_an_admin_following_a_mangled_link_reads_a_page_not_json(
    admin_client: TestClient, path: str
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    response = admin_client.get(path, headers=browser)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "This address cannot be opened" in response.text
    assert "Check the link" in response.text and '"detail"' not in response.text
    # Scripts and the API keep FastAPI's JSON.
    assert admin_client.get(path).json()["detail"]
