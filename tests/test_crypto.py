"""console.foundation.crypto: both modes round-trip, refuse tampering, and read each other."""

import base64
import os
import stat

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import Flask

from console.foundation import crypto

KEY = "1:" + "11" * 32
NEW_KEY = KEY + "\n2:" + "22" * 32


def _app(tmp_path, mode="standard", key=KEY):
    app = Flask("crypto-test", instance_path=str(tmp_path))
    app.config.update(CRYPTO=mode, DATA_KEY=key)
    crypto.install(app)
    return app


@pytest.mark.parametrize("mode, prefix", [("standard", "a256gcm.1:"), ("sm", "sm4gcm.1:")])
def test_encryption_round_trips_and_names_its_algorithm_and_key(tmp_path, mode, prefix):
    with _app(tmp_path, mode).app_context():
        token = crypto.encrypt("53060219850101123X", "talent_person.id_number")
        assert token.startswith(prefix)
        assert crypto.decrypt(token, "talent_person.id_number") == "53060219850101123X"
        # A fresh nonce each time: equal numbers do not give equal ciphertexts.
        assert crypto.encrypt("53060219850101123X", "talent_person.id_number") != token
        assert crypto.is_current(token)


@pytest.mark.parametrize("mode", ["standard", "sm"])
def test_a_tampered_ciphertext_is_refused(tmp_path, mode):
    with _app(tmp_path, mode).app_context():
        token = crypto.encrypt("13800000000", "talent_person.contact")
        head, body = token.split(":", 1)
        raw = bytearray(base64.urlsafe_b64decode(body))
        raw[-1] ^= 1  # the tag
        flipped_tag = head + ":" + base64.urlsafe_b64encode(bytes(raw)).decode()
        raw[-1] ^= 1
        raw[14] ^= 1  # the ciphertext itself
        flipped_text = head + ":" + base64.urlsafe_b64encode(bytes(raw)).decode()
        for bad in (flipped_tag, flipped_text, token[:-8], "v1:" + body):
            with pytest.raises(crypto.CryptoError) as refused:
                crypto.decrypt(bad, "talent_person.contact")
            assert "无法" in refused.value.message or "格式" in refused.value.message
        # Bound to its column: the same value does not open as another column's.
        with pytest.raises(crypto.CryptoError):
            crypto.decrypt(token, "talent_person.id_number")


def test_each_mode_reads_what_the_other_wrote(tmp_path):
    with _app(tmp_path, "standard").app_context():
        old = crypto.encrypt("旧数据", "p")
        old_seal = crypto.seal(b"row", "audit.chain")
    with _app(tmp_path, "sm").app_context():
        assert crypto.decrypt(old, "p") == "旧数据"
        assert crypto.check_seal(b"row", "audit.chain", old_seal)
        assert not crypto.is_current(old)
        new_seal = crypto.seal(b"row", "audit.chain")
        assert new_seal.startswith("hsm3.1:") and old_seal.startswith("hs256.1:")
        assert not crypto.check_seal(b"rov", "audit.chain", new_seal)
        assert not crypto.check_seal(b"row", "audit.archive", new_seal)


def test_a_new_key_version_writes_and_the_old_one_still_reads(tmp_path):
    with _app(tmp_path, "sm").app_context():
        old = crypto.encrypt("x", "p")
        old_hash = crypto.keyed_hash("530602", "p")
    with _app(tmp_path, "sm", NEW_KEY).app_context():
        new = crypto.encrypt("x", "p")
        assert new.startswith("sm4gcm.2:") and crypto.decrypt(old, "p") == crypto.decrypt(new, "p") == "x"
        assert not crypto.is_current(old) and crypto.is_current(new)
        assert crypto.keyed_hash("530602", "p") != old_hash
    with _app(tmp_path, "sm", "2:" + "22" * 32).app_context():
        with pytest.raises(crypto.DataKeyError) as missing:
            crypto.decrypt(old, "p")
        assert "第 1 版数据密钥" in missing.value.message


def test_keyed_hashes_are_stable_per_mode_and_differ_between_modes(tmp_path):
    with _app(tmp_path, "standard").app_context():
        standard = crypto.keyed_hash("53060219850101123X", "talent_person.id_number")
        assert standard == crypto.keyed_hash("53060219850101123X", "talent_person.id_number")
        assert standard != crypto.keyed_hash("53060219850101123X", "other.column")
    with _app(tmp_path, "sm").app_context():
        sm = crypto.keyed_hash("53060219850101123X", "talent_person.id_number")
    assert len(standard) == len(sm) == 64 and standard != sm


def test_sm4_gcm_matches_the_published_vector():
    # RFC 8998, appendix A.1: the construction crypto.encrypt uses under "sm".
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    iv = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                          "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    enc = Cipher(algorithms.SM4(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    sealed = enc.update(plain) + enc.finalize()
    assert sealed.hex().upper() == ("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
                                    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    assert enc.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


def test_sm3_is_the_national_hash():
    # GB/T 32905-2016, example 1.
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_a_missing_data_key_is_generated_once_into_the_instance_folder(tmp_path):
    _app(tmp_path, key=None)
    path = tmp_path / "data_key"
    first = path.read_text()
    assert first.startswith("1:") and len(first.strip()) == 2 + 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    _app(tmp_path, key=None)
    assert path.read_text() == first


@pytest.mark.parametrize("key, words", [("1:abcd", "至少 32 字节"), ("1:zz" + "0" * 62, "格式不正确"), ("", "为空")])
def test_a_bad_data_key_is_refused_in_chinese(tmp_path, key, words):
    with pytest.raises(crypto.DataKeyError) as refused:
        _app(tmp_path, key=key or "  \n")
    assert words in refused.value.message


def test_an_unknown_mode_is_refused(tmp_path):
    with pytest.raises(crypto.DataKeyError) as refused:
        _app(tmp_path, mode="des")
    assert "standard 或 sm" in refused.value.message


@pytest.mark.parametrize("mode", ["standard", "sm"])
def test_a_seal_made_in_pieces_equals_one_made_at_once(tmp_path, mode):
    with _app(tmp_path, mode).app_context():
        whole = crypto.seal(b"header\nrow 1\nrow 2\n", "audit.archive")
        sealer = crypto.Sealer("audit.archive")
        for piece in (b"header\n", b"row 1\n", b"row 2\n"):
            sealer.update(piece)
        assert sealer.seal() == whole
        checker = crypto.Sealer("audit.archive", whole)
        checker.update(b"header\nrow 1\nrow 3\n")
        assert checker.seal() != whole
