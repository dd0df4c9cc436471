"""Schemathesis over the app's own /openapi.json: no 5xx, no response that breaks the schema.

The operations are driven from inside one test (rather than ``from_fixture``,
which does not run on pytest 9) so the app can sit on the ``clean_db`` fixture.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, checks
from sqlalchemy import Engine

from app.web.app import create_app
from tests.environment import ProcessSettings


def fuzz(operation: Any, excluded: list[Any]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def honours_the_document(case: Case) -> None:
        case.call_and_validate(excluded_checks=excluded)

    honours_the_document()


def test_the_api_honours_its_own_openapi_document(
    clean_db: Engine, process_settings: ProcessSettings
) -> None:
    app = create_app(process_settings(clean_db, rate_limit_enabled=False), engine=clean_db)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} >= {
        "/api/v1/subscriptions",
        "/api/v1/subscriptions/confirm",
        "/api/v1/subscriptions/{token}",
    }
    for operation in operations:
        # JSON Schema's "email" format is syntax only; an address on a reserved domain
        # (``x@y.test``) is well-formed but undeliverable, and refusing it with 422 is right.
        subscribing = (operation.method, operation.path) == ("post", "/api/v1/subscriptions")
        fuzz(operation, [checks.positive_data_acceptance] if subscribing else [])
