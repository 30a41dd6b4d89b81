"""The console's cryptography: keyed hashes, authenticated encryption, the data key.

Two modes, chosen by the ``CRYPTO`` setting (``JICENG_CRYPTO``):

- ``standard``: AES-256-GCM, HMAC-SHA-256, HKDF-SHA-256;
- ``sm`` (national algorithms, GB/T 39786-2021): SM4-GCM, HMAC-SM3, HKDF-SM3.

Everything goes through ``cryptography``; nothing is hand-written.  cryptography 50 has no AEAD
class for SM4 (``aead`` offers AES, ChaCha20 and others only), but its ``Cipher`` offers SM4 in
GCM mode on the OpenSSL it ships with (4.x): that is the same construction as RFC 8998's
SM4-GCM (the test suite checks its published vector), so no encrypt-then-MAC stand-in is needed.
Where SM4 or SM3 is missing from the OpenSSL found, choosing ``sm`` fails at start-up.

The data key is separate from ``SECRET_KEY`` (which signs sessions and may be changed to end
them all): ``DATA_KEY`` (``JICENG_DATA_KEY``) or, when unset, the file ``instance/data_key``,
generated on first start.  Each line of either is ``VERSION:HEX`` (a bare ``HEX`` is version 1);
the highest version writes, every version listed still reads, so a key is rotated by adding a
line.  Losing the key loses the encrypted data and the audit chain's proof: back it up apart
from the database backups (README.md, "Backups").

Every ciphertext and every seal names its algorithm and key version (``sm4gcm.2:...``,
``hsm3.1:...``), so data written in one mode or under one key can be told from, and read beside,
data written in another while it is migrated or rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from console.foundation.errors import ConsoleError

MODES = ("standard", "sm")
_EXTENSION = "jiceng_crypto"
_NONCE = 12
_TAG = 16

# Ciphertext and seal algorithms, as they are named in stored values.
CIPHERS = {"standard": "a256gcm", "sm": "sm4gcm"}
MACS = {"standard": "hs256", "sm": "hsm3"}
# PBKDF2 for passwords under ``sm`` (werkzeug's method string; hashlib's SM3 is OpenSSL's).
# About as costly as werkzeug's default scrypt on this hardware (bench/audit_chain.py prints it).
SM_PASSWORD_METHOD = "pbkdf2:sm3:150000"


class CryptoError(ConsoleError):
    """A ciphertext that does not open: tampered, truncated or written under another key."""

    def __init__(self, message: str = "数据无法解密：密文已损坏、被篡改，或不是用本系统的数据密钥加密的"):
        super().__init__(message)


class DataKeyError(ConsoleError):
    """The data key or the mode is unusable; raised at start-up, before anything is written."""

    status = 500


@dataclass(frozen=True)
class ProtectedColumn:
    """A plugin's encrypted column (``protected_columns`` hook), e.g.
    ``ProtectedColumn(Person, "id_number_enc", "talent_person.id_number", lookup="id_number_hash")``.

    ``purpose`` is the one passed to :func:`encrypt` and :func:`keyed_hash` for it; ``lookup``
    names the column holding the keyed hash of the decrypted value, if there is one, and
    ``normalize`` the function applied to the value before it was hashed (``str.upper`` ...).

    ``legacy`` reads a value the plugin wrote before it used this module (no ``alg.version:``
    prefix) and ``legacy_hash`` computes that value's old lookup hash: both let such rows be read
    and found until ``jiceng crypto migrate`` rewrites them."""

    model: type
    column: str
    purpose: str
    lookup: str | None = None
    normalize: Callable[[str], str] | None = None
    legacy: Callable[[str], str] | None = None
    legacy_hash: Callable[[str], str] | None = None

    def is_legacy(self, stored: str) -> bool:
        return self.legacy is not None and not has_prefix(stored)

    def read(self, stored: str) -> str:
        """The plain value of a stored ciphertext, whichever mode, key or format wrote it."""
        return self.legacy(stored) if self.is_legacy(stored) else decrypt(stored, self.purpose)

    def lookups(self, value: str) -> list[str]:
        """Every lookup hash the value may be stored under while data is being migrated:
        the current one first."""
        value = self.normalize(value) if self.normalize else value
        hashes_ = keyed_hashes(value, self.purpose)
        if self.legacy_hash is not None:
            hashes_.append(self.legacy_hash(value))
        return hashes_


@dataclass(frozen=True)
class Keyring:
    mode: str
    keys: dict[int, bytes]  # version -> 32-byte master key

    @property
    def version(self) -> int:
        return max(self.keys)


def _hash_for(alg: str):
    return hashes.SM3() if alg in ("sm4gcm", "hsm3", "sm") else hashes.SHA256()


def _subkey(master: bytes, purpose: str, alg: str, length: int = 32) -> bytes:
    # One key per purpose and algorithm, so a column's key never doubles as another's or as a MAC.
    return HKDF(algorithm=_hash_for(alg), length=length, salt=b"jiceng.data-key",
                info=f"{alg}:{purpose}".encode()).derive(master)


def parse_keys(text: str) -> dict[int, bytes]:
    """``VERSION:HEX`` per line or comma; a bare ``HEX`` is version 1."""
    keys = {}
    for item in text.replace(",", "\n").splitlines():
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        version, _, hexkey = item.rpartition(":")
        try:
            number = int(version) if version else 1
            key = bytes.fromhex(hexkey)
        except ValueError:
            raise DataKeyError("数据密钥格式不正确：每行应为“版本:十六进制密钥”") from None
        if len(key) < 32 or number < 1:
            raise DataKeyError("数据密钥至少 32 字节（64 位十六进制），版本号从 1 开始")
        keys[number] = key
    if not keys:
        raise DataKeyError("数据密钥为空")
    return keys


def _key_file(instance: Path) -> str:
    path = instance / "data_key"
    if path.exists():
        return path.read_text()
    line = "1:" + os.urandom(32).hex() + "\n"
    # O_EXCL: two workers starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text()
    with os.fdopen(fd, "w") as fh:
        fh.write(line)
    return line


def check_mode(mode: str) -> None:
    """Refuse a mode this machine's OpenSSL cannot serve, before anything is written with it."""
    if mode not in MODES:
        raise DataKeyError(f"JICENG_CRYPTO 只能是 standard 或 sm，而不是 {mode!r}")
    if mode == "sm":
        try:
            Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(_NONCE))).encryptor()
            c_hmac.HMAC(bytes(32), hashes.SM3())
        except UnsupportedAlgorithm:
            raise DataKeyError("本机的 OpenSSL 不支持 SM4-GCM 或 SM3，不能使用 JICENG_CRYPTO=sm") from None
        if "sm3" not in hashlib.algorithms_available:
            raise DataKeyError("Python 的 hashlib 不支持 SM3（口令哈希需要），不能使用 JICENG_CRYPTO=sm")


def install(app) -> None:
    """Read the mode and the data key once per app (``console.app`` calls this)."""
    mode = app.config.get("CRYPTO") or "standard"
    check_mode(mode)
    text = app.config.get("DATA_KEY") or _key_file(Path(app.instance_path))
    app.extensions[_EXTENSION] = Keyring(mode, parse_keys(text))


def keyring() -> Keyring:
    return current_app.extensions[_EXTENSION]


def mode() -> str:
    return keyring().mode


def _master(version: int) -> bytes:
    try:
        return keyring().keys[version]
    except KeyError:
        raise DataKeyError(f"缺少第 {version} 版数据密钥，无法读取用它保护的数据") from None


def _split(token: str) -> tuple[str, int, str]:
    head, sep, body = token.partition(":")
    alg, dot, version = head.partition(".")
    if not sep or not dot or not version.isdigit():
        raise CryptoError("数据格式无法识别：缺少“算法.密钥版本:”前缀")
    return alg, int(version), body


# -- authenticated encryption ---------------------------------------------------------------


def encrypt(plaintext: str | bytes, purpose: str) -> str:
    """Encrypt under the current mode and key; ``purpose`` (e.g. ``"talent_person.id_number"``)
    is bound in as associated data, so a value copied into another column does not decrypt."""
    ring = keyring()
    alg = CIPHERS[ring.mode]
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    nonce = os.urandom(_NONCE)
    master = ring.keys[ring.version]
    if alg == "a256gcm":
        sealed = AESGCM(_subkey(master, purpose, alg)).encrypt(nonce, data, purpose.encode())
    else:
        enc = Cipher(algorithms.SM4(_subkey(master, purpose, alg, 16)), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(purpose.encode())
        sealed = enc.update(data) + enc.finalize() + enc.tag
    return f"{alg}.{ring.version}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_bytes(token: str, purpose: str) -> bytes:
    alg, version, body = _split(token)
    if alg not in CIPHERS.values():
        raise CryptoError(f"未知的加密算法 {alg}")
    try:
        blob = base64.urlsafe_b64decode(body)
    except ValueError:
        raise CryptoError() from None
    if len(blob) < _NONCE + _TAG:
        raise CryptoError()
    nonce, sealed = blob[:_NONCE], blob[_NONCE:]
    master = _master(version)
    try:
        if alg == "a256gcm":
            return AESGCM(_subkey(master, purpose, alg)).decrypt(nonce, sealed, purpose.encode())
        dec = Cipher(algorithms.SM4(_subkey(master, purpose, alg, 16)),
                     modes.GCM(nonce, sealed[-_TAG:])).decryptor()
        dec.authenticate_additional_data(purpose.encode())
        return dec.update(sealed[:-_TAG]) + dec.finalize()
    except InvalidTag:
        raise CryptoError() from None


def decrypt(token: str, purpose: str) -> str:
    return decrypt_bytes(token, purpose).decode()


def has_prefix(token: str) -> bool:
    """Whether a stored value names its algorithm and key version (written by this module)."""
    try:
        alg, _, _ = _split(token)
    except CryptoError:
        return False
    return alg in CIPHERS.values() or alg in MACS.values()


def is_current(token: str) -> bool:
    """Whether a ciphertext or seal is already under the current mode and key version (what
    ``jiceng crypto migrate`` and ``rotate`` skip)."""
    ring = keyring()
    alg, version, _ = _split(token)
    return alg in (CIPHERS[ring.mode], MACS[ring.mode]) and version == ring.version


# -- keyed hashes ---------------------------------------------------------------------------


def _mac(alg: str, key: bytes, data: bytes) -> str:
    mac = c_hmac.HMAC(key, _hash_for(alg))
    mac.update(data)
    return mac.finalize().hex()


def keyed_hash(value: str | bytes, purpose: str) -> str:
    """HMAC-SHA-256 or HMAC-SM3 (by mode) of ``value`` as 64 hex digits, under the current key:
    for uniqueness and search without decrypting (a lookup column).  Unprefixed, to fit the
    lookup columns; the plugin declares them (``protected_columns``) so that a migration or a
    rotation recomputes them from the decrypted value."""
    ring = keyring()
    alg = MACS[ring.mode]
    data = value.encode() if isinstance(value, str) else value
    return _mac(alg, _subkey(ring.keys[ring.version], purpose, alg), data)


def keyed_hashes(value: str | bytes, purpose: str) -> list[str]:
    """:func:`keyed_hash` of ``value`` under every algorithm and key version this keyring can
    compute, the current one first: a lookup column is searched for any of them, so rows stay
    findable between a change of mode or key and the ``jiceng crypto migrate`` that rewrites them."""
    ring = keyring()
    data = value.encode() if isinstance(value, str) else value
    current = (MACS[ring.mode], ring.version)
    others = [(alg, version) for alg in MACS.values() for version in sorted(ring.keys, reverse=True)
              if (alg, version) != current]
    return [_mac(alg, _subkey(ring.keys[version], purpose, alg), data) for alg, version in [current, *others]]


def seal(data: bytes, purpose: str) -> str:
    """A keyed hash that names its algorithm and key version (``hsm3.1:<hex>``), checkable by
    :func:`check_seal` whatever the current mode: the audit chain and its archives use it."""
    ring = keyring()
    alg = MACS[ring.mode]
    return f"{alg}.{ring.version}:" + _mac(alg, _subkey(ring.keys[ring.version], purpose, alg), data)


class Sealer:
    """:func:`seal` over data given in pieces (an archive file written or read line by line)."""

    def __init__(self, purpose: str, sealed: str | None = None):
        ring = keyring()
        if sealed is None:
            self.alg, self.version = MACS[ring.mode], ring.version
        else:
            self.alg, self.version, _ = _split(sealed)
            if self.alg not in MACS.values():
                raise CryptoError(f"未知的签名算法 {self.alg}")
        self._mac = c_hmac.HMAC(_subkey(_master(self.version), purpose, self.alg), _hash_for(self.alg))

    def update(self, data: bytes) -> None:
        self._mac.update(data)

    def seal(self) -> str:
        return f"{self.alg}.{self.version}:" + self._mac.finalize().hex()


def check_seal(data: bytes, purpose: str, sealed: str) -> bool:
    try:
        alg, version, digest = _split(sealed)
    except CryptoError:
        return False
    if alg not in MACS.values():
        return False
    expected = _mac(alg, _subkey(_master(version), purpose, alg), data)
    return std_hmac.compare_digest(expected, digest)


def password_method(mode_name: str) -> str | None:
    """werkzeug's hashing method for new passwords; None keeps Flask-AppBuilder's default."""
    return SM_PASSWORD_METHOD if mode_name == "sm" else None
