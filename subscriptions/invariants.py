"""The rules of DESIGN.md as facts about the stored data, checked over the whole database.

`manage.py check_invariants` runs every check below and lists what it finds.
The rules keep these facts true on every write (models, constraints, the
locked services); this module is the independent witness — after a restore,
after a stress or race test, after anything wrote past the application.

Every check is one query that selects only the offending rows, so the
database does the scanning (an index where there is one) and Python sees
nothing for a healthy table. The one exception is R3's arithmetic («ends_on
is start + period − 1 day»): it has one home, `periods.period_end`, so those
rows are streamed through it — a few columns per row, in chunks
(`.iterator()`), in bounded memory whatever the table's size. All
organizations are checked at once; each finding names its document and its
organization.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Abs, Coalesce

from common.formatting import fmt

from .models import ExtensionSubscription, Status, Subscription, Tariff
from .periods import PeriodOutOfRange, period_end
from .validators import BUSINESS_FIRST_DAY, BUSINESS_LAST_DAY

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Violation:
    check: str
    number: str
    organization_id: int | None
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] № {self.number} (организация {self.organization_id}): {self.detail}"


@dataclass(frozen=True)
class Check:
    code: str
    rule: str
    title: str
    find: Callable[[], Iterator[Violation]]


def _rows(queryset, *fields):
    return queryset.order_by("pk").values(*fields).iterator(chunk_size=CHUNK_SIZE)


def _span(starts_on, ends_on) -> str:
    return f"{fmt(starts_on)}–{fmt(ends_on)}"


# --- R1: the organization follows the subscriber ------------------------------------


def _organization_differs() -> Iterator[Violation]:
    bases = Subscription.objects.exclude(organization_id=F("subscriber__organization_id"))
    for row in _rows(bases, "number", "organization_id", "subscriber__organization_id"):
        yield Violation(
            "organization_differs",
            row["number"],
            row["organization_id"],
            f"у подписки организация {row['organization_id']}, а у ее абонента — "
            f"{row['subscriber__organization_id']}",
        )
    extensions = ExtensionSubscription.objects.exclude(
        organization_id=F("subscription__subscriber__organization_id")
    )
    for row in _rows(
        extensions, "number", "organization_id", "subscription__subscriber__organization_id"
    ):
        yield Violation(
            "organization_differs",
            row["number"],
            row["organization_id"],
            f"у расширения организация {row['organization_id']}, а у абонента его подписки — "
            f"{row['subscription__subscriber__organization_id']}",
        )


# --- R2: tariff kinds and offers ---------------------------------------------------------


def _tariff_kind() -> Iterator[Violation]:
    for row in _rows(
        Subscription.objects.exclude(tariff__kind=Tariff.Kind.BASE),
        "number",
        "organization_id",
        "tariff__name",
    ):
        yield Violation(
            "tariff_kind",
            row["number"],
            row["organization_id"],
            f"подписка на тариф оформлена по тарифу расширения «{row['tariff__name']}»",
        )
    for row in _rows(
        ExtensionSubscription.objects.exclude(tariff__kind=Tariff.Kind.EXTENSION),
        "number",
        "organization_id",
        "tariff__name",
    ):
        yield Violation(
            "tariff_kind",
            row["number"],
            row["organization_id"],
            f"расширение оформлено по основному тарифу «{row['tariff__name']}»",
        )


def _extension_tariff_not_offered() -> Iterator[Violation]:
    offered = Tariff.offered_for.through.objects.filter(
        from_tariff=OuterRef("tariff_id"), to_tariff=OuterRef("subscription__tariff_id")
    )
    extensions = ExtensionSubscription.objects.filter(~Exists(offered))
    for row in _rows(
        extensions, "number", "organization_id", "tariff__name", "subscription__tariff__name"
    ):
        yield Violation(
            "extension_tariff_not_offered",
            row["number"],
            row["organization_id"],
            f"тариф «{row['tariff__name']}» не предлагается для тарифа "
            f"«{row['subscription__tariff__name']}» его подписки",
        )


# --- R3: the period and the dates ------------------------------------------------------


def _period_of_other_tariff() -> Iterator[Violation]:
    for model in (Subscription, ExtensionSubscription):
        # An extension «до окончания подписки на тариф» has no period (a constraint).
        documents = model.objects.filter(period__isnull=False).exclude(
            period__tariff_id=F("tariff_id")
        )
        for row in _rows(documents, "number", "organization_id", "tariff__name"):
            yield Violation(
                "period_of_other_tariff",
                row["number"],
                row["organization_id"],
                f"период действия — не тарифа «{row['tariff__name']}»",
            )


def _dates_disagree_with_period() -> Iterator[Violation]:
    for model in (Subscription, ExtensionSubscription):
        replaces = ("replaces_id",) if model is ExtensionSubscription else ()
        # «До окончания подписки на тариф» has no period: it ends with its base (R5 below).
        rows = _rows(
            model.objects.filter(period__isnull=False),
            "number",
            "organization_id",
            "starts_on",
            "ends_on",
            "period__periodicity",
            "period__count",
            "ended_early_on",
            "planned_ends_on",
            *replaces,
        )
        for row in rows:
            try:
                expected = period_end(
                    row["starts_on"], row["period__periodicity"], row["period__count"]
                )
            except PeriodOutOfRange:
                expected = None
            # R14: a replacement runs to the end it took over; a document ended early
            # keeps its period's end in `planned_ends_on` and ends on `ended_early_on`.
            if row.get("replaces_id") is not None:
                expected = row["planned_ends_on"]
            elif row["ended_early_on"] is not None and row["planned_ends_on"] != expected:
                yield Violation(
                    "dates_disagree_with_period",
                    row["number"],
                    row["organization_id"],
                    f"прекращена досрочно, а окончание по договору сохранено как "
                    f"{fmt(row['planned_ends_on']) if row['planned_ends_on'] else '—'}, "
                    f"по периоду — {fmt(expected) if expected else '—'}",
                )
                continue
            expected = row["ended_early_on"] or expected
            if expected != row["ends_on"]:
                yield Violation(
                    "dates_disagree_with_period",
                    row["number"],
                    row["organization_id"],
                    f"действует {_span(row['starts_on'], row['ends_on'])}, а по периоду должна "
                    f"по {fmt(expected) if expected else '(за пределами календаря)'}",
                )


# --- R14: an early end lies within the document's term --------------------------------------


def _early_end_outside_term() -> Iterator[Violation]:
    for model in (Subscription, ExtensionSubscription):
        wrong = model.objects.filter(ended_early_on__isnull=False).filter(
            Q(status=Status.DRAFT)
            | Q(ended_early_on__lt=F("starts_on"))
            | Q(planned_ends_on__isnull=True)
            | Q(ended_early_on__gt=F("planned_ends_on"))
            | Q(unused_amount__isnull=True)
            | Q(early_end_reason="")
        )
        for row in _rows(
            wrong, "number", "organization_id", "status", "starts_on", "ended_early_on"
        ):
            yield Violation(
                "early_end_outside_term",
                row["number"],
                row["organization_id"],
                f"прекращена с последним днем {fmt(row['ended_early_on'])} при начале "
                f"{fmt(row['starts_on'])}: вне срока, без причины, без неиспользованной суммы "
                f"или не проведена",
            )


def _replacement_disagrees() -> Iterator[Violation]:
    # «Изменить количество»: a posted replacement continues the posted extension it
    # replaces — the same base, tariff and kind of term («до окончания подписки на
    # тариф» stays one), to the same end by contract — and starts after that one's
    # last day, so the two never count on the same day.
    wrong = (
        ExtensionSubscription.objects.filter(status=Status.POSTED, replaces__isnull=False)
        .annotate(
            contract_end=Coalesce("planned_ends_on", "ends_on"),
            replaced_contract_end=Coalesce("replaces__planned_ends_on", "replaces__ends_on"),
            replaced_base=F("replaces__subscription_id"),
            replaced_tariff=F("replaces__tariff_id"),
            replaced_until_base_end=F("replaces__until_base_end"),
        )
        .filter(
            ~Q(replaced_base=F("subscription_id"))
            | ~Q(replaced_tariff=F("tariff_id"))
            | ~Q(replaced_until_base_end=F("until_base_end"))
            | ~Q(replaced_contract_end=F("contract_end"))
            | Q(replaces__ends_on__gte=F("starts_on"))
            | ~Q(replaces__status=Status.POSTED)
        )
    )
    for row in _rows(
        wrong,
        "number",
        "organization_id",
        "starts_on",
        "contract_end",
        "replaces__number",
        "replaces__ends_on",
        "replaced_contract_end",
    ):
        yield Violation(
            "replacement_disagrees",
            row["number"],
            row["organization_id"],
            f"заменяет № {row['replaces__number']} с {fmt(row['starts_on'])} по "
            f"{fmt(row['contract_end'])}, а та действует по {fmt(row['replaces__ends_on'])} "
            f"(по договору — по {fmt(row['replaced_contract_end'])}): другая подписка, тариф, "
            f"вид периода, окончание по договору, пересечение или не проведена",
        )


# --- R3, R5: «до окончания подписки на тариф» ends with its base ------------------------------


def _until_base_end_draft_not_following() -> Iterator[Violation]:
    # A draft ends on its base's last day, followed on every change of the base
    # (services._follow_base_end: a change, an early end and its undoing). A posted
    # one keeps the end it was posted with (inside its base: R5 below); a draft left by
    # an undone quantity change keeps the end it took over; a draft that starts after
    # its base's end is checked again at posting.
    drafts = ExtensionSubscription.objects.filter(
        status=Status.DRAFT,
        until_base_end=True,
        replaces__isnull=True,
        starts_on__lte=F("subscription__ends_on"),
    ).exclude(ends_on=F("subscription__ends_on"))
    for row in _rows(
        drafts,
        "number",
        "organization_id",
        "ends_on",
        "subscription__number",
        "subscription__ends_on",
    ):
        yield Violation(
            "until_base_end_not_following",
            row["number"],
            row["organization_id"],
            f"черновик «до окончания подписки на тариф» действует по {fmt(row['ends_on'])}, "
            f"а подписка № {row['subscription__number']} — по "
            f"{fmt(row['subscription__ends_on'])}",
        )


# --- R4–R6, R10: an extension inside its posted base ----------------------------------------


def _extension_outside_base() -> Iterator[Violation]:
    # Posted ones only: R10 keeps a base from being shortened or moved past its
    # posted extensions; a draft may fall outside and is checked again at posting.
    outside = ExtensionSubscription.objects.filter(status=Status.POSTED).filter(
        Q(starts_on__lt=F("subscription__starts_on")) | Q(ends_on__gt=F("subscription__ends_on"))
    )
    for row in _rows(
        outside,
        "number",
        "organization_id",
        "starts_on",
        "ends_on",
        "subscription__number",
        "subscription__starts_on",
        "subscription__ends_on",
    ):
        yield Violation(
            "extension_outside_base",
            row["number"],
            row["organization_id"],
            f"расширение {_span(row['starts_on'], row['ends_on'])} выходит за подписку "
            f"№ {row['subscription__number']} "
            f"{_span(row['subscription__starts_on'], row['subscription__ends_on'])}",
        )


def _posted_extension_on_draft_base() -> Iterator[Violation]:
    stranded = ExtensionSubscription.objects.filter(status=Status.POSTED).exclude(
        subscription__status=Status.POSTED
    )
    for row in _rows(stranded, "number", "organization_id", "subscription__number"):
        yield Violation(
            "posted_extension_on_draft_base",
            row["number"],
            row["organization_id"],
            f"проведенное расширение на непроведенной подписке № {row['subscription__number']}",
        )


# --- R8: quantity ---------------------------------------------------------------------------


def _quantity_above_max() -> Iterator[Violation]:
    # A maximum may be lowered below drafts' quantities (they are checked again at
    # posting), never below a posted one (Tariff.clean); below 1 is never allowed.
    above = ExtensionSubscription.objects.filter(
        Q(quantity__lt=1) | Q(status=Status.POSTED, quantity__gt=F("tariff__max_quantity"))
    )
    for row in _rows(above, "number", "organization_id", "quantity", "tariff__max_quantity"):
        yield Violation(
            "quantity_above_max",
            row["number"],
            row["organization_id"],
            f"количество {row['quantity']} при максимуме тарифа {row['tariff__max_quantity']}",
        )


# --- R9, R18: the dates themselves ------------------------------------------------------


def _dates_out_of_range() -> Iterator[Violation]:
    for model in (Subscription, ExtensionSubscription):
        wrong = model.objects.filter(
            Q(starts_on__gt=F("ends_on"))
            | Q(starts_on__lt=BUSINESS_FIRST_DAY)
            | Q(ends_on__gt=BUSINESS_LAST_DAY)
        )
        for row in _rows(wrong, "number", "organization_id", "starts_on", "ends_on"):
            yield Violation(
                "dates_out_of_range",
                row["number"],
                row["organization_id"],
                f"даты {_span(row['starts_on'], row['ends_on'])}: начало позже окончания или "
                f"вне рабочего диапазона {_span(BUSINESS_FIRST_DAY, BUSINESS_LAST_DAY)}",
            )


# --- R11: no overlapping posted bases ------------------------------------------------------


def _posted_bases_overlap() -> Iterator[Violation]:
    later = Subscription.objects.filter(
        status=Status.POSTED,
        subscriber_id=OuterRef("subscriber_id"),
        tariff_id=OuterRef("tariff_id"),
        starts_on__lte=OuterRef("ends_on"),
        ends_on__gte=OuterRef("starts_on"),
        pk__gt=OuterRef("pk"),
    )
    overlapping = Subscription.objects.filter(status=Status.POSTED).filter(Exists(later))
    for row in _rows(
        overlapping.annotate(other=later.order_by("pk").values("number")[:1]),
        "number",
        "organization_id",
        "other",
    ):
        yield Violation(
            "posted_bases_overlap",
            row["number"],
            row["organization_id"],
            f"пересекается с проведенной подпиской № {row['other']} того же абонента и тарифа",
        )


# --- R16: the price kept at posting ---------------------------------------------------------


def _posted_without_kept_price() -> Iterator[Violation]:
    # Compared with half a tiyn of slack: SQLite keeps decimals as floating point.
    kept_difference = ExpressionWrapper(
        Abs(F("amount") - F("unit_price") * F("quantity")),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    missing = (
        ExtensionSubscription.objects.filter(status=Status.POSTED)
        .annotate(kept_difference=kept_difference)
        .filter(
            Q(unit_price__isnull=True)
            | Q(amount__isnull=True)
            | Q(kept_difference__gt=Decimal("0.005"))
        )
    )
    for row in _rows(missing, "number", "organization_id", "unit_price", "amount", "quantity"):
        yield Violation(
            "posted_without_kept_price",
            row["number"],
            row["organization_id"],
            f"сохраненная цена {row['unit_price']} × {row['quantity']}, сумма {row['amount']}",
        )


CHECKS = (
    Check(
        "organization_differs",
        "R1",
        "Организация документа — организация абонента",
        _organization_differs,
    ),
    Check("tariff_kind", "R2", "Вид тарифа соответствует виду подписки", _tariff_kind),
    Check(
        "extension_tariff_not_offered",
        "R2",
        "Тариф расширения предлагается для тарифа его подписки",
        _extension_tariff_not_offered,
    ),
    Check(
        "period_of_other_tariff", "R3", "Период действия — своего тарифа", _period_of_other_tariff
    ),
    Check(
        "dates_disagree_with_period",
        "R3",
        "«По» = «с» + период − 1 день",
        _dates_disagree_with_period,
    ),
    Check(
        "early_end_outside_term",
        "R14",
        "Досрочное окончание — в сроке проведенного документа, с причиной",
        _early_end_outside_term,
    ),
    Check(
        "replacement_disagrees",
        "R14",
        "Замена при изменении количества продолжает свое расширение",
        _replacement_disagrees,
    ),
    Check(
        "until_base_end_not_following",
        "R3, R5",
        "Черновик «до окончания подписки на тариф» заканчивается с подпиской",
        _until_base_end_draft_not_following,
    ),
    Check(
        "extension_outside_base",
        "R4, R5",
        "Расширение внутри своей подписки",
        _extension_outside_base,
    ),
    Check(
        "posted_extension_on_draft_base",
        "R6, R10",
        "Проведенное расширение — только на проведенной подписке",
        _posted_extension_on_draft_base,
    ),
    Check("quantity_above_max", "R8", "Количество — от 1 до максимума тарифа", _quantity_above_max),
    Check(
        "dates_out_of_range",
        "R9, R18",
        "Начало не позже окончания, даты в рабочем диапазоне",
        _dates_out_of_range,
    ),
    Check(
        "posted_bases_overlap",
        "R11",
        "Проведенные подписки абонента на один тариф не пересекаются",
        _posted_bases_overlap,
    ),
    Check(
        "posted_without_kept_price",
        "R16",
        "У проведенного расширения сохранены цена и сумма",
        _posted_without_kept_price,
    ),
)


def find_violations(checks=CHECKS) -> Iterator[Violation]:
    """Every violation of every check, streamed."""
    for check in checks:
        yield from check.find()
