"""The module's read-only REST APIs."""

import json

from tests.support import jwt_headers


def test_apis_are_in_the_openapi_spec(client, auth):
    auth.login("admin")
    spec = client.get("/api/v1/_openapi").get_json()
    paths = " ".join(spec["paths"])
    for name in ("talent_people", "talent_certificates", "talent_registrations"):
        assert f"/{name}/" in paths


def test_the_people_api_answers_inside_the_scope_with_masked_numbers_only(client, workers):
    headers = jwt_headers(client, "zhaoyang")
    response = client.get("/api/v1/talent_people/", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert [row["name"] for row in body["result"]] == ["张小三"]
    number = workers["zhang_id_number"]
    assert body["result"][0]["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in json.dumps(body, ensure_ascii=False)
    assert client.get(f"/api/v1/talent_people/{workers['li']}", headers=headers).status_code == 404


def test_the_apis_are_read_only(client, workers):
    headers = jwt_headers(client, "admin")
    for name in ("talent_people", "talent_certificates", "talent_registrations"):
        assert client.post(f"/api/v1/{name}/", json={}, headers=headers).status_code in (404, 405), name
        assert client.delete(f"/api/v1/{name}/1", headers=headers).status_code in (404, 405), name
