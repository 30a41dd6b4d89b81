"""The unified social credit code check (GB 32100-2015) and its organization-code part."""

import pytest

from plugins.visits.services import creditcode

# Computed by hand from the standard's weights, and two published codes.
VALID = ["91350100M000100Y43", "911100001000080343", "91530602MA6K12349X"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert creditcode.validate(code) == code


@pytest.mark.parametrize("code", ["N2530602MF0000128T", "Y1530602MF0000128M", "A1530602MF0000128A"])
def test_a_letter_for_the_registration_authority_passes(code):
    # GB 32100-2015: the first two characters are digits or letters (N2 a village collective,
    # Y1 其他, A1 the army's).  stdnum.cn.uscc.validate takes them for digits and refuses these.
    assert creditcode.validate(code) == code


def test_check_character_follows_the_weights():
    first17 = "91530602MA6K12349"
    total = sum(creditcode.CHARSET.index(c) * w for c, w in zip(first17, creditcode.WEIGHTS))
    assert creditcode.check_char(first17) == creditcode.CHARSET[(31 - total % 31) % 31] == "X"


def test_a_remainder_of_zero_gives_check_zero():
    # Find a body whose weighted sum is a multiple of 31: the check is "0", not index 31.
    for n in range(10000):
        first17 = f"9153060200000{n:04d}"
        if sum(creditcode.CHARSET.index(c) * w for c, w in zip(first17, creditcode.WEIGHTS)) % 31 == 0:
            assert creditcode.check_char(first17) == "0"
            return
    pytest.fail("no body with a zero remainder found")


def test_wrong_check_character_is_refused():
    with pytest.raises(creditcode.CreditCodeError, match="第 18 位"):
        creditcode.validate("91350100M000100Y44")


def test_wrong_organization_code_check_is_refused():
    # Change the organization code's check (17th) and recompute the 18th: still refused.
    first17 = "91350100M000100Y5"
    with pytest.raises(creditcode.CreditCodeError, match="组织机构代码"):
        creditcode.validate(first17 + creditcode.check_char(first17))


@pytest.mark.parametrize("code,length", [("91350100M000100Y4", 17), ("91350100M000100Y433", 19)])
def test_wrong_length_is_refused(code, length):
    with pytest.raises(creditcode.CreditCodeError, match=f"当前为 {length} 位"):
        creditcode.validate(code)


def test_letters_outside_the_charset_are_refused():
    with pytest.raises(creditcode.CreditCodeError, match="I"):
        creditcode.validate("91350100M000100I43")


def test_lowercase_and_full_width_input_is_normalized():
    assert creditcode.validate(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert creditcode.validate("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_empty_is_refused_in_chinese():
    with pytest.raises(creditcode.CreditCodeError, match="不能为空"):
        creditcode.validate("")
