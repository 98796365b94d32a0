"""Read queries over subscribers that several pages share."""

from django.db.models import Q


def subscriber_search_q(text: str, *, prefix: str = "") -> Q:
    """Match a subscriber by name (case-insensitive substring), code or BIN/IIN.

    Codes and BIN/IIN are 12 digits, so digits match from the start (a full
    number is therefore an exact match). `prefix` reaches the subscriber
    through a relation, e.g. ``"subscriber__"``.
    """
    text = text.strip()
    if not text:
        return Q()
    condition = Q(**{f"{prefix}name__icontains": text})
    if text.isascii() and text.isdigit():
        condition |= Q(**{f"{prefix}code__startswith": text}) | Q(
            **{f"{prefix}bin_iin__startswith": text}
        )
    return condition
