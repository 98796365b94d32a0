"""Field validators of the partner's requisites: the codes a Kazakhstan invoice carries.

- БИН/ИИН: 12 digits, the last a control digit — the one algorithm lives in
  `subscribers.validators` (the subscribers' БИН/ИИН is checked by it too) and
  is used from there, not written twice.
- ИИК: the account as a Kazakhstan IBAN (ISO 13616): «KZ», 2 check digits, a
  3-digit bank code and 13 letters or digits of the account — 20 characters —
  whose mod-97 checksum is 1.
- БИК: the bank's BIC (SWIFT code) of 8 characters: 4 letters of the bank,
  «KZ», 2 letters or digits of its location (HSBKKZKX).
- КБе: 2 digits — residency (1 resident, 2 non-resident) and the economic
  sector (1–9): 17, 19, 29.

The validators check a value as stored: upper case, no spaces
(`normalize_code` makes a typed value so, before they run).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from subscribers.validators import is_valid_bin_iin, validate_bin_iin

__all__ = [
    "is_valid_bin_iin",
    "validate_bin_iin",
    "iban_checksum_ok",
    "validate_iik",
    "validate_bik",
    "validate_kbe",
    "normalize_code",
]

IIK_LENGTH = 20
_IIK_FORMAT = re.compile(r"^KZ[0-9]{2}[0-9]{3}[0-9A-Z]{13}$")
_BIK_FORMAT = re.compile(r"^[A-Z]{4}KZ[0-9A-Z]{2}$")
_KBE_FORMAT = re.compile(r"^[12][1-9]$")


def normalize_code(value: str) -> str:
    """A typed code as stored: no spaces or dashes, upper case («kz86 125…» → «KZ86125…»)."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97: the first 4 characters moved to the end, letters as 10…35, remainder 1."""
    if not iban.isascii() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def validate_iik(value: str) -> None:
    if not _IIK_FORMAT.fullmatch(value or ""):
        raise ValidationError(
            _(
                "ИИК — 20 знаков: KZ, 2 контрольные цифры, 3 цифры кода банка и 13 букв или "
                "цифр счета, например KZ86125KZT5004100100. Скопируйте его из договора с банком."
            ),
            code="iik_format",
        )
    if not iban_checksum_ok(value):
        raise ValidationError(
            _(
                "ИИК %(value)s не проходит проверку контрольных цифр: в номере опечатка. "
                "Сверьте его с договором банковского счета."
            ),
            code="iik_checksum",
            params={"value": value},
        )


def validate_bik(value: str) -> None:
    if not _BIK_FORMAT.fullmatch(value or ""):
        raise ValidationError(
            _(
                "БИК — 8 латинских букв и цифр: 4 буквы банка, KZ и 2 знака города, "
                "например HSBKKZKX. Его указывает банк в реквизитах счета."
            ),
            code="bik_format",
        )


def validate_kbe(value: str) -> None:
    if not _KBE_FORMAT.fullmatch(value or ""):
        raise ValidationError(
            _(
                "КБе — 2 цифры: первая — признак резидентства (1 — резидент, 2 — нерезидент), "
                "вторая — сектор экономики от 1 до 9, например 17 или 19."
            ),
            code="kbe_format",
        )
