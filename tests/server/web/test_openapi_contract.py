"""The API answers as /openapi.json says: a bounded schemathesis run (issue 9, item 6).

Every operation of the document is called with generated inputs (valid and invalid) through the
app itself (WSGI, no network); each answer must not be a 5xx and must match the document: a
documented status, a documented media type, a body of the documented schema (errors are the
``Error`` JSON) and documented headers. The run is bounded: a few examples per operation,
derandomized, so it is the same run every time and takes seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from server.web.app import close_app, create_app
from tests.live import empty_sparql_endpoint

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

EXAMPLES = 10
# What the checks below leave out, and why: a query *language* cannot be described by JSON
# Schema, so a schema-valid string is usually not valid SPARQL (400, documented), and canned
# parameters are validated against the store (400 naming the parameter, documented).
CHECKS_LEFT_OUT = ("positive_data_acceptance",)


@pytest.fixture(scope="module")
def contract_app(seed_store: Path) -> Iterator[Flask]:
    with empty_sparql_endpoint() as endpoint:
        app = create_app({"CITYKG_STORE": str(seed_store), "CITYKG_WORKERS": 2, "CITYKG_PER_CLIENT": None,
                          "CITYKG_WIKIDATA_ENDPOINT": endpoint, "CITYKG_WIKIDATA_CACHE": None})
        yield app
        close_app(app)


def test_every_operation_answers_as_documented(contract_app: Flask) -> None:
    from schemathesis.checks import load_all_checks
    from schemathesis.specs.openapi import checks as openapi_checks  # noqa: F401 - registers them

    load_all_checks()
    api = schemathesis.openapi.from_wsgi("/openapi.json", contract_app)
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 20
    excluded = [check for check in schemathesis.checks.CHECKS.get_all() if check.__name__ in CHECKS_LEFT_OUT]

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            # identity: schemathesis's WSGI transport sends Accept-Encoding: gzip but does not
            # decode, and large answers are gzipped for clients that accept it (server.web.caching)
            statuses.append(case.call_and_validate(excluded_checks=excluded,
                                                   headers={"Accept-Encoding": "identity"}).status_code)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - schemathesis raises groups: collect, report all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert len(statuses) >= 3 * len(operations)  # the run was not vacuous…
    assert {200, 400} <= set(statuses) and max(statuses) < 500  # …and reached both answers and refusals
