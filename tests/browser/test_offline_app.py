"""The field app's files are served by the console itself, from its own origin."""

from __future__ import annotations

import re


def get(client, path):
    """A file answer, read whole and closed (Flask streams files from disk)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def test_the_manifest_names_the_field_app_in_chinese_and_its_icons_are_served(client):
    response = get(client, "/field/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "基层治理·外业" and manifest["lang"] == "zh-CN"
    assert manifest["scope"] == "/" and manifest["start_url"].startswith("/")
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/field/")
        image = get(client, icon["src"])
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")


def test_the_service_worker_may_control_the_whole_origin_and_precaches_only_the_console(client):
    response = get(client, "/field/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    source = response.get_data(as_text=True)
    listed = re.search(r"const SHELL_FILES = \[(.*?)\];", source, re.S).group(1)
    files = [a + b for a, b in re.findall(r"(FAB \+ )?'([^']+)'", listed)]
    assert files and not re.search(r"https?://", source)
    for path in files:
        path = path.replace("FAB + ", "/static/appbuilder/")
        assert get(client, path).status_code == 200, path


def test_every_signed_in_page_links_the_manifest_and_names_its_account(client, auth):
    assert 'name="jiceng-user"' not in client.get("/login/").get_data(as_text=True)
    auth.login("zhaoyang")
    page = client.get("/nameplates/inspections/new").get_data(as_text=True)
    assert 'rel="manifest" href="/field/manifest.webmanifest"' in page
    assert re.search(r'<meta name="jiceng-user" content="\d+">', page)
    assert "/static/field/outbox.js" in page and "/static/field/field.js" in page
    assert 'id="field-outbox"' in page
