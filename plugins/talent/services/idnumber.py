"""Resident identity numbers (GB 11643-1999): validation, masking and protection at rest.

The number is stored encrypted through ``console.crypto`` (AES-256-GCM, or SM4-GCM under
``JICENG_CRYPTO=sm``, with the console's data key), and next to it a keyed hash (HMAC-SHA-256 or
HMAC-SM3) that makes it unique and searchable without decrypting.  Numbers written before this
(``v1:``, AES-GCM under a key derived from SECRET_KEY) are still read and found until
``jiceng crypto migrate`` rewrites them; the column is declared to it by :func:`protected`.

The check digit and the birth date are read with python-stdnum (``stdnum.cn.ric``); the shape,
the order of the checks, the plausible birth years and the Chinese reasons are this module's.
stdnum's ``validate`` is not used: it also looks the address code up in its own table as of the
birth year, which refuses numbers that GB 11643-1999 allows (the address code is that of the
county of residence when the number was given, e.g. 昭阳区 530602, created in 2001, for someone
born in 1985), and it checks the digit before the date.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from console import ProtectedColumn, clock, crypto

from ..errors import TalentError
from ..models import Person

_SHAPE = re.compile(r"^[1-9]\d{16}[0-9X]$")
PURPOSE = "talent_person.id_number"
_LEGACY_AAD = b"talent_person.id_number"
_LEGACY_VERSION = "v1:"


def check_char(first17: str) -> str:
    """The 18th character that GB 11643 computes from the first 17 digits."""
    # stdnum takes the whole number and ignores its last character.
    return ric.calc_check_digit(first17 + "0")


def normalize(raw) -> str:
    return ("" if raw is None else str(raw)).strip().replace(" ", "").upper()


def birth_date(number: str) -> dt.date | None:
    """The date in digits 7 to 14, or None if there is no such day."""
    try:
        return ric.get_birth_date(number)
    except (InvalidComponent, ValueError):
        return None


def validate(raw, today: dt.date | None = None) -> str:
    """The normalized number, or :class:`TalentError` saying what is wrong with it."""
    number = normalize(raw)
    if not number:
        raise TalentError("请填写身份证号")
    if len(number) != 18:
        raise TalentError(f"身份证号应为 18 位，实际为 {len(number)} 位")
    if not _SHAPE.match(number):
        raise TalentError("身份证号格式不正确：前 17 位须为数字，最后一位为数字或 X")
    born = birth_date(number)
    today = today or clock.today()
    if born is None:
        raise TalentError("身份证号中的出生日期不存在")
    if born > today or born.year < today.year - 120:
        raise TalentError("身份证号中的出生日期不合理")
    if check_char(number[:17]) != number[17]:
        raise TalentError("身份证号校验位不正确，请核对")
    return number


def mask(number: str) -> str:
    """First 4 and last 4 characters kept: 5306**********123X."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)


def protected() -> ProtectedColumn:
    """The encrypted column and its lookup, as ``jiceng crypto migrate`` / ``rotate`` see them."""
    return ProtectedColumn(Person, "id_number_enc", PURPOSE, lookup="id_number_hash",
                           legacy=_legacy_decrypt, legacy_hash=_legacy_lookup_hash)


def lookup_hash(number: str) -> str:
    """Keyed hash for uniqueness and search: without the key it cannot be brute-forced."""
    return crypto.keyed_hash(number, PURPOSE)


def lookup_hashes(number: str) -> list[str]:
    """Every hash the number may still be stored under (another mode or key version, or the
    old format) until the data is migrated: search with ``IN``."""
    return protected().lookups(number)


def encrypt(number: str) -> str:
    return crypto.encrypt(number, PURPOSE)


def decrypt(stored: str) -> str:
    return protected().read(stored)


# -- the format before console.crypto: read and found, never written --------------------------


def _legacy_key(purpose: bytes) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"jiceng.talent", info=purpose).derive(secret)


def _legacy_lookup_hash(number: str) -> str:
    return hmac.new(_legacy_key(b"id_number.lookup"), number.encode(), hashlib.sha256).hexdigest()


def _legacy_decrypt(stored: str) -> str:
    if not stored.startswith(_LEGACY_VERSION):
        raise TalentError("身份证号密文格式无法识别")
    try:
        blob = base64.urlsafe_b64decode(stored[len(_LEGACY_VERSION):])
        return AESGCM(_legacy_key(b"id_number.encrypt")).decrypt(blob[:12], blob[12:], _LEGACY_AAD).decode()
    except (InvalidTag, ValueError):
        raise crypto.CryptoError() from None


def mask_name(name: str) -> str:
    """张*三 style: the first and last characters kept, the middle starred."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
