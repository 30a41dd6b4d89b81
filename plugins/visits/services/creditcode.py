"""The unified social credit code (统一社会信用代码, GB 32100-2015).

Eighteen characters: registration authority (1), organization type (1), administrative
division (6), organization code (9, itself ending in a GB 11714 check character) and a check
character over the first seventeen.  The letters I, O, Z, S and V are never used.

The 18th character is python-stdnum's (``stdnum.cn.uscc``); the shape, the organization code's
own check and the Chinese reasons are this module's.  stdnum's ``validate`` is not used: it
takes the first two characters for digits, while GB 32100-2015 lets the registration authority
be a letter (A 军队, N 农业 for village collectives, Y 其他).
"""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import uscc

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# The standard's weights of the 18th character (stdnum computes it; kept to document it).
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
LENGTH = 18


class CreditCodeError(ValueError):
    """Why a code is not a valid unified social credit code, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalize(raw: str | None) -> str:
    """What a person typed, made comparable: full-width to half-width, no spaces, upper case."""
    text = raw or ""
    # NFKC leaves ASCII as it is; an import checks a code per row, so skip it when it cannot matter.
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).upper()


# GB 11714: digits are their value, letters A..Z are 10..35.
_ORG_VALUES = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_ORG_WEIGHED = tuple({c: v * w for c, v in _ORG_VALUES.items()} for w in ORG_WEIGHTS)
# The whole shape in one match; only a code that fails it is examined for the reason.
_SHAPE = re.compile(rf"[{CHARSET}]{{2}}[0-9]{{6}}[{CHARSET}]{{10}}")


def check_char(first17: str) -> str:
    """The 18th character for the first seventeen."""
    return uscc.calc_check_digit(first17)


def org_check_char(first8: str) -> str:
    """The GB 11714 check character of an organization code's first eight characters."""
    value = -sum(map(dict.__getitem__, _ORG_WEIGHED, first8)) % 11
    return "X" if value == 10 else str(value)


def validate(raw: str | None) -> str:
    """The normalized code, or :class:`CreditCodeError` saying what is wrong with it."""
    code = normalize(raw)
    if not _SHAPE.fullmatch(code):
        _refuse_shape(code)
    if code[16] != org_check_char(code[8:16]):
        raise CreditCodeError("统一社会信用代码中的组织机构代码（第 9 至 17 位）校验位不正确")
    if code[17] != check_char(code[:17]):
        raise CreditCodeError("统一社会信用代码校验位（第 18 位）不正确，请核对后重新输入")
    return code


def _refuse_shape(code: str):
    if not code:
        raise CreditCodeError("统一社会信用代码不能为空")
    if len(code) != LENGTH:
        raise CreditCodeError(f"统一社会信用代码须为 18 位，当前为 {len(code)} 位")
    bad = sorted({c for c in code if c not in CHARSET})
    if bad:
        raise CreditCodeError(
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（只能是数字和除 I、O、Z、S、V 以外的大写字母）"
        )
    raise CreditCodeError("统一社会信用代码第 3 至 8 位（登记管理机关行政区划码）须为数字")


def is_valid(raw: str | None) -> bool:
    try:
        validate(raw)
    except CreditCodeError:
        return False
    return True


def make(prefix2: str, division: str, org_body: str) -> str:
    """A valid code from its parts (demo data and tests): ``prefix2`` like "91", a six-digit
    division and the organization code's first eight characters."""
    org = org_body + org_check_char(org_body)
    # The organization check may be "X"; fine, X is in the charset.
    first17 = prefix2 + division + org
    return first17 + check_char(first17)
