"""The online API refuses what is not text with a clear 4xx, never a 500, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from gateway.online.tokens import create_token
from gateway.runtime import Runtime
from tests.helpers import load_examples
from tests.online.conftest import sign_in_staff

URL = "/api/v1/consultations/PARC/contributions"
SECRET = "a-real-secret-for-these-tests-0123456789abcdef"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    load_examples(runtime)
    with TestClient(create_app(runtime=runtime)) as test_client:
        sign_in_staff(runtime, test_client)
        yield test_client


@pytest.fixture
def auth(runtime: Runtime) -> dict[str, str]:
    with runtime.sessions() as session, session.begin():
        return {"Authorization": f"Bearer {create_token(session, 'site')}", **JSON}


def _body(**over: Any) -> dict[str, Any]:
    body = {
        "external_id": "c1",
        "participant": {"kind": "online_account", "id": "alice"},
        "answers": {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4},
    }
    return {**body, **over}


def _raw(body: dict[str, Any], replace: str = "", by: str = "") -> bytes:
    """A JSON body with a text replaced after encoding, to write escapes json.dumps refuses."""
    return json.dumps(body).replace(replace, by).encode()


def _stored(client: TestClient) -> dict[str, int]:
    contributions: dict[str, int] = client.get("/api/v1/consultations/PARC/results").json()[
        "contributions"
    ]
    return contributions


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (_raw(_body(external_id="@"), '"@"', '"\\u0000"'), "control character U+0000"),
        (_raw(_body(external_id="@"), '"@"', '"c\\u0085"'), "control character U+0085"),
        (_raw(_body(external_id="@"), '"@"', '"\\ud800"'), "lone surrogate U+D800"),
        (_raw(_body(participant={"id": "@"}), '"@"', '"al\\udfffice"'), "lone surrogate U+DFFF"),
        (_raw(_body(participant={"id": "@"}), '"@"', '"al\\tice"'), "control character U+0009"),
        (_raw(_body(answers={"idee": "@"}), '"@"', '"un\\u0000e"'), "answers.idee: control"),
        (_raw(_body(answers={"idee": "@"}), '"@"', '"\\udbff"'), "answers.idee: not valid Unicode"),
        (_raw(_body(answers={"@": "x"}), '"@"', '"\\ud800"'), "answers: not valid Unicode"),
        (_raw(_body(answers={"projets": ["@"]}), '"@"', '"\\u001b"'), "answers.projets[0]"),
        (_raw(_body(answers={"satisfaction": "@"}), '"@"', "NaN"), "answers.satisfaction: NaN"),
        (_raw(_body(answers={"idee": "@"}), '"@"', "-Infinity"), "answers.idee: NaN"),
        (_raw(_body(answers={"idee": [[["deep"]]]})), "nested deeper than any answer"),
        (_raw(_body(answers={"idee": "x" * 5001})), "longer than 5000 characters"),
        (_raw(_body(language="@"), '"@"', '"\\ud800"'), "valid string"),
        (_raw(_body(extra="@"), '"@"', '"\\ud800"'), "extra"),
        (_raw(_body(external_id=["@"]), '"@"', '"\\ud800"'), "valid string"),
        (_raw(_body(external_id="@"), '"@"', "Infinity"), "valid string"),
    ],
)
def test_what_is_not_text_is_a_clear_422(
    client: TestClient, auth: dict[str, str], raw: bytes, needle: str
) -> None:
    response = client.post(URL, content=raw, headers=auth)
    assert response.status_code == 422, response.text
    assert needle in response.text
    assert _stored(client) == {}


def test_the_422_shows_a_lone_surrogate_as_text(client: TestClient, auth: dict[str, str]) -> None:
    raw = _raw(_body(external_id=["@"]), '"@"', '"a\\ud800"')
    response = client.post(URL, content=raw, headers=auth)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["input"] == ["a\\ud800"]


def test_text_with_lines_rtl_marks_and_combining_accents_is_kept(
    client: TestClient, auth: dict[str, str]
) -> None:
    idea = "Plus d'ombre\r\n\tprès des bancs \u200fشجرة\u200f e\u0301 👩‍👧"
    body = _body(answers={"frequentation": "yes", "priorite": "jeux", "satisfaction": 4,
                          "idee": idea})  # fmt: skip
    assert client.post(URL, json=body, headers=auth).status_code == 201
    assert _stored(client) == {"counted": 1}


@pytest.mark.parametrize("code", ["%00", "PA%00RC", "%C2%85", "X" * 65, "PARC%0A"])
def test_a_code_with_control_characters_or_too_long_is_a_422(
    client: TestClient, auth: dict[str, str], code: str
) -> None:
    assert client.get(f"/api/v1/consultations/{code}/results").status_code == 422
    posted = client.post(f"/api/v1/consultations/{code}/contributions", json=_body(), headers=auth)
    assert posted.status_code == 422
    assert _stored(client) == {}


@pytest.mark.parametrize("code", ["%EF%BF%BF", "%F0%9F%98%80", "PARC%E2%80%8F", "1" * 64])
def test_a_code_that_names_no_consultation_is_a_404(client: TestClient, code: str) -> None:
    assert client.get(f"/api/v1/consultations/{code}/results").status_code == 404


def test_a_chunked_json_body_over_the_limit_is_a_413(
    client: TestClient, auth: dict[str, str]
) -> None:
    chunks = [b'{"external_id": "c1", "answers": {"idee": "', b"x" * 700_000, b"x" * 700_000]
    response = client.post(URL, content=iter(chunks), headers=auth)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": "request body over 1048576 bytes"}
    assert _stored(client) == {}


def test_a_content_length_of_thousands_of_digits_is_a_413(client: TestClient) -> None:
    response = client.post(URL, content=b"{}", headers={"Content-Length": "9" * 5000, **JSON})
    assert response.status_code == 413


DOC_PATHS = ["/docs", "/redoc", "/openapi.json"]


@pytest.mark.parametrize(
    ("environment", "api_docs", "shown"),
    [("development", None, True), ("test", None, True), ("production", None, False),
     ("production", True, True), ("development", False, False)],
)  # fmt: skip
def test_api_docs_are_off_in_production_unless_asked_for(
    tmp_path: Path, environment: str, api_docs: bool | None, shown: bool
) -> None:
    settings = Settings(
        environment=environment,  # type: ignore[arg-type]
        secret_key=SECRET,  # type: ignore[arg-type]
        data_dir=tmp_path,
        api_docs=api_docs,
    )
    client = TestClient(create_app(settings))  # no lifespan: the docs need no store
    statuses = {client.get(path).status_code for path in DOC_PATHS}
    assert statuses == ({200} if shown else {404})


ERRORS = {
    ("post", "/api/v1/consultations/{code}/contributions"): {
        "200", "201", "400", "401", "403", "404", "409", "413", "422"
    },
    ("get", "/api/v1/consultations/{code}/results"): {"200", "401", "404", "422"},
    ("post", "/sms/twilio/inbound"): {"200", "400", "403", "413", "503"},
    ("post", "/sms/twilio/status"): {"204", "400", "403", "413", "503"},
}  # fmt: skip


def test_the_schema_documents_every_reply(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for (method, path), codes in ERRORS.items():
        responses = paths[path][method]["responses"]
        assert set(responses) == codes, path
        for code in codes - {"200", "201", "204"}:
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, code)
