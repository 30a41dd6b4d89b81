"""Identity numbers under console.crypto: written, read and found in either mode, moved from one
mode or key version to the other by ``jiceng crypto migrate`` / ``rotate`` (all or nothing),
numbers of the format before console.crypto still read, and a backup restored in SM mode."""

from __future__ import annotations

import base64
import os

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from console.foundation import crypto
from console.foundation.extensions import db
from console.operations import doctor
from jiceng.plugins.talent.models import Person
from jiceng.plugins.talent.services import idnumber, people

from .conftest import add_worker, make_id

ZHANG = make_id("530602", seq=101)
LI = make_id("530627", seq=202)


def _stored():
    return {p.id_number_masked: (p.id_number_enc, p.id_number_hash)
            for p in db.session.query(Person).order_by(Person.id)}


def _ok(result):
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "Traceback" not in result.output
    return result.output


def _refused(result):
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    return result.output


def _legacy_token(number: str) -> str:
    """The format identity numbers had before console.crypto (AES-GCM, a key from SECRET_KEY)."""
    nonce = os.urandom(12)
    sealed = AESGCM(idnumber._legacy_key(b"id_number.encrypt")).encrypt(nonce, number.encode(),
                                                                        b"talent_person.id_number")
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def test_sm_mode_end_to_end_and_migrated_both_ways(app, make_app):
    with app.app_context():
        add_worker("张小三", "530602", 101)
        db.session.commit()
        (enc, digest), = _stored().values()
        assert enc.startswith("a256gcm.")

    sm = make_app(CRYPTO="sm")
    with sm.app_context():
        # Written under the other mode, still read and found before any migration.
        assert people.find_person(ZHANG).name == "张小三"
        add_worker("李四", "530627", 202)
        db.session.commit()
        li = people.find_person(LI)
        assert li.id_number_enc.startswith("sm4gcm.")
        assert li.id_number_hash == crypto.keyed_hash(LI, idnumber.PURPOSE)
        assert idnumber.decrypt(li.id_number_enc) == LI
        # The duplicate check sees a number stored under the other mode's hash.
        with pytest.raises(Exception, match="已在人才库中登记"):
            people.set_id_number(Person(), ZHANG)
        db.session.rollback()
        assert not doctor.protected_data().ok

        out = _ok(sm.test_cli_runner().invoke(args=["crypto", "migrate"]))
        assert "共重新加密 1 条" in out
        stored = _stored()
        assert all(enc.startswith("sm4gcm.1:") for enc, _ in stored.values())
        assert {h for _, h in stored.values()} == {crypto.keyed_hash(n, idnumber.PURPOSE) for n in (ZHANG, LI)}
        assert people.find_person(ZHANG).name == "张小三" and people.find_person(LI).name == "李四"
        assert doctor.protected_data().ok
        _ok(sm.test_cli_runner().invoke(args=["crypto", "status"]))
        # A second run finds nothing left to do.
        assert "共重新加密 0 条" in _ok(sm.test_cli_runner().invoke(args=["crypto", "migrate"]))
        db.session.remove()

    runner = app.test_cli_runner()
    _refused(runner.invoke(args=["crypto", "status"]))
    assert "共重新加密 2 条" in _ok(runner.invoke(args=["crypto", "migrate"]))
    with app.app_context():
        assert all(enc.startswith("a256gcm.1:") for enc, _ in _stored().values())
        assert people.find_person(LI).name == "李四"
        assert idnumber.decrypt(people.find_person(ZHANG).id_number_enc) == ZHANG


def test_numbers_of_the_old_format_are_read_found_and_migrated(app, runner):
    with app.app_context():
        person, _ = add_worker("张小三", "530602", 101)
        db.session.commit()
        db.session.execute(sa.update(Person.__table__).where(Person.__table__.c.id == person.id).values(
            id_number_enc=_legacy_token(ZHANG), id_number_hash=idnumber._legacy_lookup_hash(ZHANG)))
        db.session.commit()
        assert people.find_person(ZHANG).id == person.id
        assert idnumber.decrypt(people.find_person(ZHANG).id_number_enc) == ZHANG
        db.session.remove()

    _ok(runner.invoke(args=["crypto", "migrate"]))
    with app.app_context():
        found = people.find_person(ZHANG)
        assert found.id_number_enc.startswith("a256gcm.1:")
        assert found.id_number_hash == idnumber.lookup_hash(ZHANG)


def test_a_value_that_does_not_open_stops_the_migration_and_changes_nothing(app, make_app):
    with app.app_context():
        add_worker("张小三", "530602", 101)
        li, _ = add_worker("李四", "530627", 202)
        db.session.commit()
        # A value sealed under another data key (e.g. a restore that brought the wrong key).
        other = AESGCM(bytes(32)).encrypt(bytes(12), LI.encode(), b"x")
        db.session.execute(sa.update(Person.__table__).where(Person.__table__.c.id == li.id).values(
            id_number_enc="a256gcm.1:" + base64.urlsafe_b64encode(bytes(12) + other).decode()))
        db.session.commit()
        before = _stored()
        li_id = li.id

    sm = make_app(CRYPTO="sm")
    out = _refused(sm.test_cli_runner().invoke(args=["crypto", "migrate"]))
    assert f"talent_person.id_number_enc 第 {li_id} 行的密文无法解密" in out and "未做任何改动" in out
    with sm.app_context():
        assert _stored() == before


def test_rotate_adds_a_key_version_and_everything_reads_under_it(make_app, tmp_path):
    # The key from a file (rotation appends to it), holding the key this test run writes with.
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    (instance / "data_key").write_text(os.environ["JICENG_DATA_KEY"] + "\n")
    (instance / "data_key").chmod(0o600)
    app = make_app(DATA_KEY=None)
    with app.app_context():
        add_worker("张小三", "530602", 101)
        db.session.commit()
        version = crypto.keyring().version

    out = _ok(app.test_cli_runner().invoke(args=["crypto", "rotate"]))
    assert f"第 {version + 1} 版数据密钥" in out and "共重新加密 1 条" in out
    lines = (instance / "data_key").read_text().split()
    assert len(lines) == 2 and lines[0] == os.environ["JICENG_DATA_KEY"]
    assert (instance / "data_key").stat().st_mode & 0o077 == 0
    with app.app_context():
        enc, digest = next(iter(_stored().values()))
        assert enc.startswith(f"a256gcm.{version + 1}:")
        assert people.find_person(ZHANG).name == "张小三"
    # The audit chain sealed under the first version still checks (the old version reads).
    _ok(app.test_cli_runner().invoke(args=["audit", "verify"]))


def test_rotate_refuses_a_key_from_the_environment(runner):
    out = _refused(runner.invoke(args=["crypto", "rotate"]))
    assert "JICENG_DATA_KEY" in out


def test_a_backup_made_in_sm_mode_restores_readable(make_app, tmp_path):
    sm = make_app(CRYPTO="sm")
    with sm.app_context():
        add_worker("张小三", "530602", 101)
        db.session.commit()
        before = _stored()
    runner = sm.test_cli_runner()
    file = tmp_path / "sm-backup.tar.gz"
    _ok(runner.invoke(args=["backup", str(file)]))
    with sm.app_context():
        db.session.execute(sa.update(Person.__table__).values(id_number_enc="sm4gcm.1:gone"))
        db.session.commit()
    _ok(runner.invoke(args=["restore", "--yes", str(file)]))
    with sm.app_context():
        assert _stored() == before
        assert idnumber.decrypt(people.find_person(ZHANG).id_number_enc) == ZHANG
