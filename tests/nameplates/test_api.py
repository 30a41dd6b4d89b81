"""The REST API of inspections: idempotent submission, bad input explained in Chinese, its OpenAPI entry."""

from __future__ import annotations

import uuid

from .conftest import ZHAOYANG, village_in
from console import clock


def test_the_api_submission_is_idempotent(app, client, auth):
    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    body = {"client_id": str(uuid.uuid4()), "village_id": village, "level": "村自查",
            "inspected_on": clock.today().isoformat(),
            "plaques": [{"name": "村党组织", "position": "outside"}, {"name": "老年人协会", "position": "inside"}],
            "certificates": ["亲属关系证明"]}
    first = client.post("/api/v1/nameplates_inspections/", json=body)
    second = client.post("/api/v1/nameplates_inspections/", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["findings"] == 2
    assert client.get("/api/v1/nameplates_inspections/").get_json()["count"] == 1


def test_the_api_explains_bad_input_in_chinese(client, auth):
    auth.login("zhaoyang")
    response = client.post("/api/v1/nameplates_inspections/",
                           json={"level": "村自查", "plaques": [{"position": "上面"}]})
    assert response.status_code == 400
    body = response.get_json()
    # The spec declares a string message (every 400 of the API); the fields are beside it.
    assert isinstance(body["message"], str)
    for part in ("client_id：必填", "village_id：必填", "plaques.0.name：必填", "plaques.0.position：须为"):
        assert part in body["message"]
    assert body["errors"]["client_id"] == ["必填"]
    not_an_object = client.post("/api/v1/nameplates_inspections/", json=["x"])
    assert not_an_object.status_code == 400
    assert not_an_object.get_json()["message"] == "请求体：须为 JSON 对象"


def test_the_api_is_in_the_openapi_spec(client, auth):
    import warnings

    auth.login("admin")
    # Other modules' APIs may warn while the spec is built; this module's must not.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = client.get("/api/v1/_openapi").get_json()
    assert not [w for w in caught if "Nameplates" in str(w.message) or "Inspection" in str(w.message)]
    paths = spec["paths"]
    assert "/api/v1/nameplates_inspections/" in paths
    ours = paths["/api/v1/nameplates_inspections/"]
    assert "post" in ours and "get" in ours
    assert ours["post"]["summary"] == "提交一次挂牌检查（按 client_id 幂等）"
    assert "InspectionSubmitSchema" in spec["components"]["schemas"]
