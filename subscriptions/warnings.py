"""Warnings that do not block: what a page says beside a document it writes anyway.

The conditions and the texts are the `warn_*` functions at the end of rules.py
(pure, over plain values); this module reads the rows they need, so that the
extension's form and card, the renewal form and «Продление за месяц» ask one
place. Each function returns {code: text}, empty when there is nothing to say;
the pages show the texts with role="status" and write the document all the same.
"""

import datetime

from . import rules
from .models import ExtensionSubscription, Status


def extension_warnings(
    extension: ExtensionSubscription, *, today: datetime.date, draft: bool, posted: bool = False
) -> dict[str, str]:
    """Another posted extension of its tariff on its base shares days with `extension`
    («добавить еще?» before it is posted; what was added, once `posted`); and, when `draft`
    (a saved draft, as its card shows it), a start that has passed (R7 will refuse posting
    it as it is)."""
    warnings: dict[str, str] = {}
    if not (extension.subscription_id and extension.tariff_id):
        return warnings
    if extension.starts_on and extension.ends_on and extension.starts_on <= extension.ends_on:
        overlapping = list(
            ExtensionSubscription.objects.filter(
                subscription_id=extension.subscription_id,
                tariff_id=extension.tariff_id,
                status=Status.POSTED,
                starts_on__lte=extension.ends_on,
                ends_on__gte=extension.starts_on,
            )
            .exclude(pk=extension.pk)
            .only("number", "starts_on", "ends_on")
            .order_by("starts_on", "pk")[: rules.DOCUMENTS_NAMED]
        )
        warnings.update(
            rules.warn_extension_overlaps(
                tariff_name=extension.tariff.name, overlapping=overlapping, posted=posted
            )
        )
    warnings.update(
        rules.warn_draft_starts_in_past(starts_on=extension.starts_on, today=today, is_draft=draft)
    )
    return warnings


def renewal_warnings(
    *, starts_on: datetime.date, ends_on: datetime.date | None, today: datetime.date
) -> dict[str, str]:
    """For a renewal from `starts_on` to `ends_on`: its dates lie wholly in the past."""
    return rules.warn_renewal_in_past(starts_on=starts_on, ends_on=ends_on, today=today)
