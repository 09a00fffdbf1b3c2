"""The error contract and the security headers of every answer (issue 9, item 6).

Errors are the JSON of ``components/schemas/Error`` in /openapi.json, an HTML page for browsers
(the ``error.html`` template), plain text only when asked for; never a traceback. Every answer
says ``X-Content-Type-Options: nosniff``; HTML pages carry the Content-Security-Policy. A
parameter sent empty is a 400 naming it. One client may have ``CITYKG_PER_CLIENT`` requests in
progress: the next is a 429 with Retry-After.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.web.app import CONTENT_SECURITY_POLICY, close_app, create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/sparql", {"query": "SELECT ?x WHERE {"}, 400),
        ("/sparql", {"query": "ASK {}", "format": "yaml"}, 400),
        ("/sparql", {"query": "ASK {}", "timeout": "0.01"}, 400),
        ("/sparql", {"update": "CLEAR ALL"}, 403),
        ("/sparql", {"query": "SELECT * { SERVICE <http://169.254.169.254/> {} }"}, 403),
        ("/nothing-here", {}, 404),
        ("/queries/no-such-query", {}, 404),
    ],
)
def test_errors_are_json_by_default(client: FlaskClient, path: str, params: dict, status: int) -> None:
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/sparql-results+json"}, {"Accept": "application/json"}):
        response = client.get(path, query_string=params, headers=headers)
        assert response.status_code == status
        assert response.mimetype == "application/json", (headers, response.data[:200])
        body = json.loads(response.data)
        assert body["status"] == status and body["error"] and body["type"]
        assert set(body) <= {"error", "status", "type", "parameter"}


def test_a_406_is_json_even_for_a_client_that_accepts_only_csv(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert response.status_code == 406 and response.mimetype == "application/json"
    assert "cannot be sent as text/csv" in json.loads(response.data)["error"]


def test_browsers_get_the_error_page(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"}, headers={"Accept": BROWSER})
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = response.data.decode()
    assert "<p class=\"status\">400</p>" in page and "query syntax error" in page  # error.html (its look: the web front end)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_plain_text_when_asked_for(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"}, headers={"Accept": "text/plain, text/csv"})
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.data.decode().startswith("query syntax error")


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/sparql", {"query": "ASK {}", "format": ""}, "format"),
        ("/sparql", {"query": "ASK {}", "timeout": ""}, "timeout"),
        ("/sparql", {"query": ""}, "query"),
        ("/sparql", {"query": "ASK {}", "default-graph-uri": ""}, "default-graph-uri"),
        ("/queries/roles", {"format": ""}, "format"),
        ("/city/medellin", {"format": ""}, "format"),
        ("/.well-known/void", {"format": ""}, "format"),
    ],
)
def test_empty_parameters_are_refused(client: FlaskClient, path: str, params: dict, parameter: str) -> None:
    response = client.get(path, query_string=params)
    assert response.status_code == 400
    body = json.loads(response.data)
    assert body["parameter"] == parameter and f"parameter '{parameter}' is empty" in body["error"]
    form = client.post("/sparql", data={"query": "ASK {}", "timeout": ""})
    assert form.status_code == 400 and json.loads(form.data)["parameter"] == "timeout"


@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%7D", "/sparql", "/.well-known/void", "/openapi.json", "/queries",
                                  "/city/medellin", "/", "/nothing-here", "/static/citykg.css", "/context.jsonld"])
def test_every_answer_says_nosniff_and_html_has_the_csp(client: FlaskClient, path: str) -> None:
    for accept in ("*/*", BROWSER):
        response = client.get(path, headers={"Accept": accept})
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if response.mimetype == "text/html":
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert response.headers["X-Frame-Options"] == "DENY"
        else:
            assert "Content-Security-Policy" not in response.headers


def test_the_csp_allows_only_this_hosts_scripts() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"  # no inline or eval'd script, no CDN
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"] == "'self'"


# --- per-client concurrency -------------------------------------------------------------------


@pytest.fixture
def one_per_client(seed_store: Path) -> Iterator[Flask]:
    app = create_app({"CITYKG_STORE": str(seed_store), "CITYKG_WORKERS": 2, "CITYKG_HEAVY_WORKERS": 0, "CITYKG_PER_CLIENT": 1})
    yield app
    close_app(app)


def test_a_client_over_its_share_gets_429_with_retry_after_and_others_do_not(one_per_client: Flask) -> None:
    http = one_per_client.test_client()
    pool = one_per_client.extensions["citykg.executor"].interactive
    thread = threading.Thread(target=lambda: http.get("/sparql", query_string={"query": ENDLESS, "timeout": "2"},
                                                      environ_base={"REMOTE_ADDR": "10.0.0.1"}))
    thread.start()
    deadline = time.monotonic() + 30
    while pool.busy < 1:  # the first client's query is running
        assert time.monotonic() < deadline
        time.sleep(0.02)
    again = http.get("/sparql", query_string={"query": "ASK {}"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert again.status_code == 429 and again.headers["Retry-After"] == "1"
    assert "requests in progress" in json.loads(again.data)["error"]
    other = http.get("/sparql", query_string={"query": "ASK {}"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200
    thread.join(60)
    assert http.get("/sparql", query_string={"query": "ASK {}"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
