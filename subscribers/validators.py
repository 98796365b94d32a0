"""Kazakhstan's BIN/IIN: 12 digits, the last a control digit.

The official algorithm: weigh the first 11 digits with 1..11 and take the sum
modulo 11; if that is 10, weigh them again with 3..11,1,2; a second 10 means
the number is invalid. The result must equal the 12th digit.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_FIRST_WEIGHTS = tuple(range(1, 12))
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def bin_iin_control_digit(first_eleven: str) -> int | None:
    """The control digit for 11 digits, or None when no digit is valid."""
    digits = [int(c) for c in first_eleven]
    control = sum(d * w for d, w in zip(digits, _FIRST_WEIGHTS, strict=True)) % 11
    if control == 10:
        control = sum(d * w for d, w in zip(digits, _SECOND_WEIGHTS, strict=True)) % 11
        if control == 10:
            return None
    return control


def is_valid_bin_iin(value: str) -> bool:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return bin_iin_control_digit(value[:11]) == int(value[11])


def validate_bin_iin(value: str) -> None:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ValidationError(_("БИН/ИИН состоит ровно из 12 цифр."), code="bin_iin_format")
    if not is_valid_bin_iin(value):
        raise ValidationError(
            _("БИН/ИИН %(value)s не проходит проверку контрольной цифры. Проверьте номер."),
            code="bin_iin_checksum",
            params={"value": value},
        )


def validate_subscriber_code(value: str) -> None:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ValidationError(
            _("Код абонента состоит ровно из 12 цифр."), code="subscriber_code_format"
        )
