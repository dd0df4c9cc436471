"""The outbox page lists the written messages newest first and shows one rendered."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings


def _write(folder: Path, name: str, subject: str, when: int) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["To"] = "reader@example.org"
    message["From"] = "digest@paperboy.test"
    message.set_content("Plain text body")
    message.add_alternative("<p>Hello <b>reader</b><script>alert(1)</script></p>", subtype="html")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(bytes(message))
    os.utime(path, (when, when))


def test_outbox_lists_newest_first_and_renders_html_sandboxed(
    admin_client: TestClient, admin_settings: Settings
) -> None:
    assert admin_settings.outbox_dir is not None
    _write(admin_settings.outbox_dir, "older.eml", "Older digest", 1_700_000_000)
    _write(admin_settings.outbox_dir, "newer.eml", "Newer digest", 1_700_000_100)
    listing = admin_client.get("/admin/outbox").text
    assert listing.index("Newer digest") < listing.index("Older digest")
    page = admin_client.get("/admin/outbox/newer.eml").text
    assert "<iframe" in page and "sandbox" in page and "srcdoc=" in page
    assert "<script>" not in page  # escaped into srcdoc, and the sandbox runs no scripts
    assert "Plain text body" in page and "Subject: Newer digest" in page


def test_outbox_refuses_names_outside_the_folder(admin_client: TestClient) -> None:
    for name in ["..%2Fsecret_key", "x.txt", "%2Fetc%2Fpasswd.eml"]:
        assert admin_client.get(f"/admin/outbox/{name}").status_code == 404
