"""The REST API speaks Chinese like the pages: every label and title ``_info`` gives, and every
description and summary of the OpenAPI spec, for every API a role can read; ``_info`` lists
only what an API takes (none for a read-only API, a hand-written submit's own schema)."""

from __future__ import annotations

import re

import pytest

from tests.support import jwt_headers

# Three or more English words in a row: a sentence of Flask-AppBuilder's left untranslated.
ENGLISH = re.compile(r"[A-Za-z]+(?:[ ,]+[A-Za-z]+){2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _spec(client, headers):
    spec = client.get("/api/v1/_openapi", headers=headers)
    assert spec.status_code == 200
    return spec.get_json()


def _texts(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{path}/{key}", value
            else:
                yield from _texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _texts(value, f"{path}/{n}")


@pytest.mark.parametrize("username", ["admin", "zhaoyang"])
def test_every_label_and_title_of_info_is_chinese(client, username):
    spec = _spec(client, jwt_headers(client, "admin"))
    headers = jwt_headers(client, username)
    infos = sorted({path for path in spec["paths"] if path.endswith("/_info")})
    assert len(infos) >= 6, infos
    english = []
    for path in infos:
        answer = client.get(path, headers=headers)
        if answer.status_code == 403:  # an API this role may not use
            continue
        body = answer.get_json()
        for key in ("add_title", "edit_title"):
            if key in body and not CJK.search(body[key]):
                english.append(f"{path} {key}: {body[key]}")
        for key in ("add_columns", "edit_columns"):
            for column in body.get(key, []):
                if not CJK.search(column.get("label", "")):
                    english.append(f"{path} {key} {column['name']}: {column.get('label')}")
    assert not english, "\n".join(english)


def test_list_and_show_labels_are_chinese(client):
    headers = jwt_headers(client, "admin")
    spec = _spec(client, headers)
    lists = sorted({path for path in spec["paths"] if re.fullmatch(r"/api/v1/[a-z_]+/", path)})
    english = []
    for path in lists:
        body = client.get(path, headers=headers).get_json()
        for column, label in body.get("label_columns", {}).items():
            if column != "id" and not CJK.search(label):
                english.append(f"{path} {column}: {label}")
        if "list_title" in body and not CJK.search(body["list_title"]):
            english.append(f"{path} list_title: {body['list_title']}")
    assert not english, "\n".join(english)


def test_the_openapi_description_is_chinese(client):
    spec = _spec(client, jwt_headers(client, "admin"))
    english = [f"{where}: {text}" for where, text in _texts(spec) if ENGLISH.search(text) or not CJK.search(text)]
    assert not english, "\n".join(english[:60])


def test_info_describes_what_each_api_really_takes(client):
    headers = jwt_headers(client, "admin")
    # Read-only: nothing to add or edit (it used to list the encrypted identity-number columns).
    people = client.get("/api/v1/talent_people/_info", headers=headers).get_json()
    assert people["add_columns"] == [] and people["edit_columns"] == []
    # The inspection submit: the fields of its own schema, with their Chinese labels.
    inspection = client.get("/api/v1/nameplates_inspections/_info", headers=headers).get_json()
    fields = {c["name"]: c for c in inspection["add_columns"]}
    assert {"client_id", "village_id", "level", "inspected_on", "plaques", "photos", "captured_at"} <= set(fields)
    assert not {"reviewer", "status", "created_at", "region"} & set(fields)
    assert fields["village_id"]["label"] == "村(社区)" and fields["village_id"]["required"] is True
    assert inspection["edit_columns"] == []
