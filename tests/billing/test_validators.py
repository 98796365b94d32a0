"""The codes of a Kazakhstan invoice: БИН/ИИН, ИИК (IBAN), БИК, КБе — real-looking
values that pass and typos that do not, each refused with a message that says what to do."""

import pytest
from django.core.exceptions import ValidationError

from billing.validators import (
    iban_checksum_ok,
    normalize_code,
    validate_bik,
    validate_bin_iin,
    validate_iik,
    validate_kbe,
)


def _as_digits(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def kz_iban(bank_code: str, account: str) -> str:
    """A Kazakhstan IBAN with its check digits computed by ISO 13616 (mod 97)."""
    bban = bank_code + account
    check = 98 - _as_digits(bban + "KZ00") % 97
    return f"KZ{check:02d}{bban}"


def refusal_code(validator, value) -> str:
    with pytest.raises(ValidationError) as error:
        validator(value)
    return error.value.code


# --- БИН/ИИН -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "940440000128",  # the first weighting (1..11) gives 8
        "910500001803",  # the first weighting gives 10: the second (3..11, 1, 2) gives 3
    ],
)
def test_a_bin_with_its_control_digit_passes(value):
    validate_bin_iin(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("940440000125", "bin_iin_checksum"),  # one wrong digit: the control digit disagrees
        ("910500001894", "bin_iin_checksum"),  # both weightings give 10: no digit is valid
        ("94044000012", "bin_iin_format"),  # 11 digits
        ("9404400001280", "bin_iin_format"),  # 13 digits
        ("94044000012A", "bin_iin_format"),
    ],
)
def test_a_bin_with_a_wrong_control_digit_or_length_is_refused(value, code):
    assert refusal_code(validate_bin_iin, value) == code


# --- ИИК ---------------------------------------------------------------------------------


def test_the_iik_of_the_example_has_check_digits_computed_by_mod_97():
    assert kz_iban("125", "KZT5004100100") == "KZ86125KZT5004100100"


@pytest.mark.parametrize(
    "value",
    [
        "KZ86125KZT5004100100",
        kz_iban("601", "A871001234567"),  # letters in the account part
        kz_iban("722", "S000012345678"),
    ],
)
def test_a_kazakhstan_iban_with_a_valid_checksum_passes(value):
    assert iban_checksum_ok(value)
    validate_iik(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("KZ87125KZT5004100100", "iik_checksum"),  # check digits off by one
        ("KZ86125KZT5004100101", "iik_checksum"),  # a typo in the account
        ("KZ86215KZT5004100100", "iik_checksum"),  # two digits swapped
        ("KZ86125KZT500410010", "iik_format"),  # 19 characters
        ("KZ86125KZT50041001000", "iik_format"),  # 21 characters
        ("RU86125KZT5004100100", "iik_format"),  # not Kazakhstan's
        ("KZ8612AKZT5004100100", "iik_format"),  # the bank code is 3 digits
        ("kz86125kzt5004100100", "iik_format"),  # stored in upper case (the forms normalize)
    ],
)
def test_an_iik_with_a_broken_checksum_or_format_is_refused(value, code):
    assert refusal_code(validate_iik, value) == code


def test_the_iik_refusals_say_what_to_do():
    with pytest.raises(ValidationError) as error:
        validate_iik("KZ87125KZT5004100100")
    assert "Сверьте его с договором банковского счета" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        validate_iik("KZ8612")
    assert "например KZ86125KZT5004100100" in error.value.messages[0]


# --- БИК, КБе ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["HSBKKZKX", "KCJBKZKX", "CASPKZKA", "HCSKKZKA", "ALMNKZKA"])
def test_a_bank_bic_passes(value):
    validate_bik(value)


@pytest.mark.parametrize(
    "value", ["HSBKRUKX", "HSB1KZKX", "HSBKKZK", "HSBKKZKXXXX", "hsbkkzkx", "HSBK KZKX", ""]
)
def test_anything_but_an_8_character_kazakh_bic_is_refused(value):
    assert refusal_code(validate_bik, value) == "bik_format"


@pytest.mark.parametrize("value", ["17", "19", "14", "29"])
def test_a_kbe_of_residency_and_sector_passes(value):
    validate_kbe(value)


@pytest.mark.parametrize("value", ["1", "171", "07", "30", "10", "1A", ""])
def test_a_kbe_that_is_not_residency_and_sector_is_refused(value):
    assert refusal_code(validate_kbe, value) == "kbe_format"


def test_typed_codes_are_stored_without_spaces_and_in_upper_case():
    assert normalize_code(" kz86 125k zt50-0410 0100 ") == "KZ86125KZT5004100100"
    assert normalize_code("hsbk kz kx") == "HSBKKZKX"
