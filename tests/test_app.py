"""The factory, its configuration and the pages every user sees."""

import pytest


def test_factory_honours_test_config(app):
    assert app.config["TESTING"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == app.config["DATABASE_URL"]


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    from console.app import create_app

    monkeypatch.setenv("JICENG_INSTANCE_PATH", str(tmp_path))
    first = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    assert first == second == (tmp_path / "secret_key").read_text().strip()
    assert len(first) >= 32


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    from console.app import create_app

    monkeypatch.setenv("JICENG_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("JICENG_TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("JICENG_PORT", "9090")
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["PORT"] == 9090


def test_instance_config_file_overrides_defaults(tmp_path, monkeypatch):
    from console.app import create_app

    monkeypatch.setenv("JICENG_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text('CITY_NAME = "测试市"\n')
    assert create_app({"DATABASE_URL": "sqlite://"}).config["CITY_NAME"] == "测试市"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    from console.app import create_app

    monkeypatch.setenv("JICENG_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("JICENG_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"] == "sqlite:///" + str(tmp_path / "jiceng.db")


def test_login_page_is_chinese(client):
    page = client.get("/login/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "基层治理控制台" in page


def test_admin_logs_in_and_sees_home(client, auth):
    page = auth.login().get_data(as_text=True)
    assert "退出" in page or "注销" in page or "登出" in page


def test_wrong_password_says_so_in_chinese(client, auth):
    page = auth.login("admin", "wrong-password").get_data(as_text=True)
    assert "用户名或密码" in page or "登录失败" in page or "无效" in page


@pytest.mark.parametrize("path", ["/console/plugins/", "/regionview/list/", "/auditlogview/list/"])
def test_admin_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code in (302, 401, 403, 404)


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
