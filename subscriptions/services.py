"""The one write path for subscriptions and their reference data (R12).

Every action opens one transaction (`common.locking.locked_transaction`),
locks the rows it changes and share-locks the rows it relies on — always in
the order named once, in `common.locking.LOCK_ORDER`: subscribers, base
subscriptions, extensions, tariffs, tariff periods, number sequences — then
re-reads what it needs under those locks, runs `full_clean()` (where the
rules live), saves and records who did it.

What that buys:

- A service trusts nothing the caller's object carried but its own input: the
  stored document, its base, its subscriber (and so its organization), its
  tariff and period (their kind, offers, maximum, activity, length and price)
  are read again after the locks are granted.
- Reference data (a tariff, a period) is changed only under its exclusive row
  lock, with «in use» checked under that lock; posting holds a shared lock on
  the same rows, so whichever comes second waits and then sees the other.
- A document that vanished meanwhile is a refusal («Документ удален другим
  пользователем»), never a re-insert: an update is `save(force_update=True)`.
- A lock held too long by someone else is a ValidationError that asks the
  operator to try again, never a 500.
"""

import datetime
import logging
import uuid

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from common.formatting import fmt
from common.locking import (
    BUSY_CODE,  # noqa: F401 - callers read services.BUSY_CODE
    DOCUMENT_DELETED_CODE,
    busy_error,
    locked_transaction,
    record_deleted_error,
)
from subscribers.models import Subscriber

from . import clock, kept_limits, rules
from .grace import grace_ends_on, grace_refusal_for
from .models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from .pricing import (
    base_kept_prices,
    contract_ends_on,
    kept_prices,
    month_price_period,
    partner_kept_prices,
    partner_span_unit_price,
    partner_unit_price,
    span_prices,
    span_unit_price,
    units_amount,
    unused_amount,
)
from .renewal import (
    carried_extensions,
    carried_period,
    carries_until_base_end,
    renewal_refusal,
    renewal_starts_on,
)

logger = logging.getLogger(__name__)


def document_deleted_error() -> ValidationError:
    return ValidationError(
        _(
            "Документ удален другим пользователем: изменения не записаны. Откройте список "
            "подписок абонента и, если документ нужен, оформите его заново."
        ),
        code=DOCUMENT_DELETED_CODE,
    )


def posted_edit_refusal(extension: ExtensionSubscription) -> ValidationError:
    """A posted extension is not edited in place (its price and dates are kept); the
    refusal advises un-posting only while R15 allows it, else «Прекратить»."""
    return rules.posted_edit_refusal(extension, today=clock.today())


def _read_base(pk) -> Subscription:
    """The base as stored (read after its lock: never joined into the locking statement)."""
    return Subscription.objects.select_related("tariff", "period", "subscriber").get(pk=pk)


def _lock_base(locks, pk) -> Subscription:
    """Lock a base exclusively and read it; a vanished one is a refusal."""
    if pk is None or not locks.exclusive(Subscription, [pk]):
        raise document_deleted_error()
    return _read_base(pk)


def _stored(model, pk, *fields):
    """The stored values of a document before its lock (to know what to lock); None if gone."""
    if pk is None:
        return None
    return model.objects.filter(pk=pk).values(*fields).first()


def _rely_on_subscriber(subscription: Subscription, fresh: Subscriber | None) -> None:
    """Point the base at its subscriber as stored now (`fresh`: read under its lock).

    The organization is copied from it (R1); a subscriber that another user
    moved to another partner since the caller read it is a refusal, never a
    document filed under the old partner.
    """
    if subscription.subscriber_id is None:
        return
    if fresh is None:
        raise ValidationError(
            {
                "subscriber": ValidationError(
                    _(
                        "Абонента только что удалил другой пользователь: подписка не записана. "
                        "Откройте список абонентов заново."
                    ),
                    code="subscriber_deleted",
                )
            }
        )
    field = Subscription._meta.get_field("subscriber")
    if field.is_cached(subscription):
        seen = subscription.subscriber
        if seen is not None and seen.organization_id != fresh.organization_id:
            raise ValidationError(
                {
                    "subscriber": ValidationError(
                        _(
                            "Абонента только что передали другой обслуживающей организации: "
                            "подписка не записана. Откройте список абонентов заново."
                        ),
                        code="subscriber_moved",
                    )
                }
            )
    subscription.subscriber = fresh


def _rely_on_offers(locks, documents, *, tariff_ids=(), period_ids=()):
    """Share-lock the tariffs and periods the documents rely on and re-read them.

    After this, the documents' `tariff` and `period` are the rows as stored now
    (kind, offers, maximum, activity, length, price), and nobody can change them
    until this transaction ends. Returns the re-read tariffs and periods by pk.
    """
    wanted_tariffs = {d.tariff_id for d in documents} | set(tariff_ids)
    wanted_periods = {d.period_id for d in documents} | set(period_ids)
    tariffs = locks.shared_rows(Tariff, wanted_tariffs)
    periods = locks.shared_rows(TariffPeriod, wanted_periods)
    for document in documents:
        if document.tariff_id is not None:
            if document.tariff_id not in tariffs:
                raise ValidationError(
                    {
                        "tariff": ValidationError(
                            _("Этот тариф только что удалили: выберите тариф из списка."),
                            code="tariff_deleted",
                        )
                    }
                )
            document.tariff = tariffs[document.tariff_id]
        if document.period_id is not None:
            if document.period_id not in periods:
                raise ValidationError(
                    {
                        "period": ValidationError(
                            _("Этот период только что удалили: выберите период из списка."),
                            code="period_deleted",
                        )
                    }
                )
            document.period = periods[document.period_id]
    return tariffs, periods


def _record(instance, user, reason: str) -> None:
    instance._history_user = user
    instance._change_reason = reason


def _full_clean(instance) -> None:
    """`full_clean()`, without asking whether the number or the one-time token is taken.

    The number comes from the sequence, the token was looked up under the
    lock, and the database holds both unique. A document the rules refuse is
    checked again in full, so the refusal reads exactly as `full_clean()`
    words it.
    """
    try:
        instance.full_clean(exclude=["number", "request_token"])
    except ValidationError as refusal:
        instance.full_clean()
        raise refusal from None


def _save_checked(
    instance, *, user, reason: str, update: bool, stored_as_read: bool = False
) -> None:
    """full_clean() and save; a database constraint that still fires becomes a refusal.

    `update`: the row exists (and is locked) — it is updated, never inserted
    again if it has vanished. `stored_as_read`: the instance is the row read
    under its lock in this transaction, changed only here — `clean()` takes
    the stored values from it. No savepoint: a refusal leaves the service's
    transaction, which rolls back whole.
    """
    instance._stored_as_read = stored_as_read
    try:
        _full_clean(instance)
    finally:
        del instance._stored_as_read
    _record(instance, user, reason)
    try:
        instance.save(force_update=update)
    except IntegrityError as exc:
        # The database is the last line (R9, R11's exclusion constraint, R18,
        # the one-time token): whatever clean() missed lands here. The detail
        # goes to the log, never to the operator's screen.
        logger.warning("integrity refusal for %s: %s", instance.__class__.__name__, exc)
        if "posted_no_overlap" in str(exc):
            raise ValidationError(
                {
                    "starts_on": ValidationError(
                        _(
                            "У абонента уже есть проведенная подписка на этот тариф на эти даты. "
                            "Выберите другую дату начала."
                        ),
                        code="base_overlaps",
                    )
                }
            ) from exc
        raise ValidationError(
            _(
                "Документ не записан: данные только что изменил другой пользователь. "
                "Обновите страницу и повторите действие."
            ),
            code="integrity",
        ) from exc
    except DatabaseError as exc:
        if update and "did not affect any rows" in str(exc):
            raise document_deleted_error() from exc
        raise


def _existing_by_token(model, request_token):
    if request_token is None:
        return None
    return model.objects.filter(request_token=request_token).first()


# --- Base subscriptions ------------------------------------------------------


def subscription_save(
    *, subscription: Subscription, user, request_token: uuid.UUID | None = None
) -> Subscription:
    """Create a base subscription, or change one (a posted one too, within R10/R11)."""
    with locked_transaction() as locks:
        stored = _stored(Subscription, subscription.pk, "subscriber_id")
        if subscription.pk is not None and stored is None:
            raise document_deleted_error()
        # Lock first, then look for the token: two identical submits at once
        # queue on the lock, and the second finds the first's document. Moving
        # a subscription to another subscriber locks both, in pk order.
        subscriber_ids = {subscription.subscriber_id} | (
            {stored["subscriber_id"]} if stored else set()
        )
        subscribers = locks.exclusive_rows(Subscriber, subscriber_ids)
        existing = _existing_by_token(Subscription, request_token)
        if existing is not None:
            return existing
        if stored is not None:
            current = locks.exclusive_rows(Subscription, [subscription.pk]).get(subscription.pk)
            if current is None:
                raise document_deleted_error()
            if current.subscriber_id not in subscriber_ids:
                raise busy_error()  # moved by someone else between our read and our lock
            reason = _("Изменение")
            was_posted = current.is_posted
        else:
            subscription.created_by = user
            subscription.request_token = request_token
            reason = _("Создание")
            was_posted = False
        _rely_on_subscriber(subscription, subscribers.get(subscription.subscriber_id))
        _rely_on_offers(locks, [subscription])
        if subscription.is_posted and not was_posted:
            kept_limits.counts_from_now(subscription)
            subscription.posted_by = user
            subscription.posted_at = clock.now()
            _keep_base_prices(subscription)
            reason = _("Проведение")
        elif was_posted and not subscription.is_posted:
            _refuse_late_unpost(current)  # R15
            subscription.posted_by = None
            subscription.posted_at = None
            _forget_early_end(subscription)
            _forget_base_prices(subscription)
            reason = _("Отмена проведения")
        elif was_posted and (
            (current.tariff_id, current.period_id)
            != (subscription.tariff_id, subscription.period_id)
        ):
            _keep_base_prices(subscription)  # another tariff or period: its prices now
        _save_checked(subscription, user=user, reason=reason, update=stored is not None)
        if stored is not None:
            _follow_base_end(subscription, user=user)
        return subscription


def _lock_base_with_subscriber(locks, pk) -> Subscription:
    """Lock a base's subscriber, then the base (LOCK_ORDER); a vanished base is a refusal."""
    stored = _stored(Subscription, pk, "subscriber_id")
    if stored is None:
        raise document_deleted_error()
    locks.exclusive(Subscriber, [stored["subscriber_id"]])
    base = _lock_base(locks, pk)
    if base.subscriber_id != stored["subscriber_id"]:
        raise busy_error()
    return base


def _lock_base_to_post(locks, pk) -> Subscription:
    """`_lock_base_with_subscriber` with each row locked and read by one statement;
    the tariff and the period are `_rely_on_offers`'s."""
    stored = _stored(Subscription, pk, "subscriber_id")
    if stored is None:
        raise document_deleted_error()
    subscribers = locks.exclusive_rows(Subscriber, [stored["subscriber_id"]])
    base = locks.exclusive_rows(Subscription, [pk]).get(pk)
    if base is None:
        raise document_deleted_error()
    if base.subscriber_id not in subscribers:
        raise busy_error()  # moved between our read and our lock: try again
    base.subscriber = subscribers[base.subscriber_id]
    return base


def subscription_post(*, subscription: Subscription, user) -> Subscription:
    with locked_transaction() as locks:
        base = _lock_base_to_post(locks, subscription.pk)
        if base.is_posted:
            return base
        _rely_on_offers(locks, [base])
        kept_limits.counts_from_now(base)
        base.status = Status.POSTED
        base.posted_by = user
        base.posted_at = clock.now()
        _keep_base_prices(base)
        _save_checked(base, user=user, reason=_("Проведение"), update=True, stored_as_read=True)
        return base


def subscription_unpost(*, subscription: Subscription, user) -> Subscription:
    with locked_transaction() as locks:
        base = _lock_base_with_subscriber(locks, subscription.pk)
        if not base.is_posted:
            return base
        _refuse_late_unpost(base)  # R15
        base.status = Status.DRAFT
        base.posted_by = None
        base.posted_at = None
        _forget_early_end(base)
        _forget_base_prices(base)
        _save_checked(base, user=user, reason=_("Отмена проведения"), update=True)
        _follow_base_end(base, user=user)  # an early end undone: its end by contract
        return base


def subscription_delete(*, subscription: Subscription, user) -> None:
    with locked_transaction() as locks:
        base = _lock_base(locks, subscription.pk)
        if base.is_posted:
            raise rules.posted_delete_refusal(base, today=clock.today(), is_base=True)
        if base.extensions.exists() or base.renewals.exists():
            raise ValidationError(
                _("К подписке оформлены расширения или продления: сначала удалите их."),
                code="delete_has_dependents",
            )
        _record(base, user, _("Удаление"))
        base.delete()


def subscription_renew(
    *,
    subscription: Subscription,
    period: TariffPeriod,
    copy_extensions: bool,
    user,
    request_token: uuid.UUID | None = None,
) -> Subscription:
    """Renew a posted base («Продлить»): post its renewing subscription and, when
    `copy_extensions`, a copy of each posted extension that ends with it.

    One transaction: the renewal and every copy are posted, or nothing is —
    a copy the rules refuse rolls the renewal back too. The same
    `request_token` twice returns the renewal the first request made.
    """
    with locked_transaction() as locks:
        base = _lock_base_with_subscriber(locks, subscription.pk)
        existing = _existing_by_token(Subscription, request_token)
        if existing is not None:
            return existing
        if (refusal := renewal_refusal(base)) is not None:
            raise refusal
        posted_at = clock.now()
        renewal = Subscription(
            subscriber=base.subscriber,
            tariff=base.tariff,
            period=period,
            starts_on=renewal_starts_on(base),
            renews=base,
            status=Status.POSTED,
            created_by=user,
            posted_by=user,
            posted_at=posted_at,
            request_token=request_token,
        )
        # The base is locked: its extensions cannot change meanwhile. Every
        # tariff and period the renewal and its copies rely on is share-locked
        # at once, tariffs before periods (LOCK_ORDER).
        carried = list(carried_extensions(base)) if copy_extensions else []
        carried_tariff_ids = {extension.tariff_id for extension in carried}
        offered = TariffPeriod.objects.filter(tariff__in=carried_tariff_ids).values_list(
            "pk", flat=True
        )
        tariffs, periods = _rely_on_offers(
            locks, [renewal], tariff_ids=carried_tariff_ids, period_ids=list(offered)
        )
        kept_limits.counts_from_now(renewal)
        _keep_base_prices(renewal)
        _save_checked(renewal, user=user, reason=_("Продление"), update=False)
        for extension in carried:
            extension.tariff = tariffs[extension.tariff_id]
            candidates = [
                p for p in periods.values() if p.tariff_id == extension.tariff_id and p.is_active
            ]
            until_base_end = carries_until_base_end(extension, candidates)
            chosen = None
            if not until_base_end:
                chosen = carried_period(
                    candidates, starts_on=renewal.starts_on, ends_on=renewal.ends_on, like=period
                )
            _carry_extension(
                extension, renewal=renewal, period=chosen, user=user, until_base_end=until_base_end
            )
        return renewal


def _carry_extension(
    extension, *, renewal, period, user, until_base_end=False
) -> ExtensionSubscription:
    """Post a copy of `extension` on `renewal`; a refusal names the extension.

    `until_base_end`: the copy runs «до окончания подписки на тариф» — the renewal's
    (`period` is then None)."""
    copy = ExtensionSubscription(
        subscription=renewal,
        tariff=extension.tariff,
        period=period,
        until_base_end=until_base_end,
        quantity=extension.quantity,
        starts_on=renewal.starts_on,
        created_by=user,
    )
    try:
        if period is None and not until_base_end:
            raise ValidationError(
                _("у тарифа нет периода, который поместился бы в продление."),
                code="no_period_fits",
            )
        if not extension.tariff.is_active:
            raise ValidationError(_("тариф больше не действует."), code="tariff_inactive")
        _mark_posted(copy, user)
        _save_checked(copy, user=user, reason=_("Перенос при продлении"), update=False)
    except ValidationError as error:
        raise ValidationError(
            {
                "copy_extensions": ValidationError(
                    _(
                        "Расширение № %(number)s («%(tariff)s» × %(quantity)s) не переносится: "
                        "%(reason)s Продление не проведено; снимите флажок переноса или "
                        "оформите расширения отдельно."
                    ),
                    code="carry_refused",
                    params={
                        "number": extension.number,
                        "tariff": extension.tariff.name,
                        "quantity": extension.quantity,
                        "reason": " ".join(error.messages),
                        "advice": {"copy_extensions": False},
                    },
                )
            }
        ) from error
    return copy


# --- Extension subscriptions ------------------------------------------------


def extension_save(
    *,
    extension: ExtensionSubscription,
    user,
    post: bool = False,
    request_token: uuid.UUID | None = None,
) -> ExtensionSubscription:
    """Write an extension as a draft («Записать»), or write and post it («Провести»).

    A posted extension is not edited in place: un-post it first. The same
    `request_token` twice (a double click, a resubmitted form) returns the
    document the first request made. An extension deleted by someone else
    meanwhile is refused, never written again.
    """
    with locked_transaction() as locks:
        stored = _stored(ExtensionSubscription, extension.pk, "subscription_id")
        if extension.pk is not None and stored is None:
            raise document_deleted_error()
        # Moving a draft to another base locks both bases, in pk order (R12).
        base_ids = {extension.subscription_id} | ({stored["subscription_id"]} if stored else set())
        bases = locks.exclusive_rows(Subscription, base_ids)
        if extension.subscription_id not in bases:
            raise document_deleted_error()
        existing = _existing_by_token(ExtensionSubscription, request_token)
        if existing is not None:
            return existing
        if stored is not None:
            current = locks.exclusive_rows(ExtensionSubscription, [extension.pk]).get(extension.pk)
            if current is None:
                raise document_deleted_error()
            if current.subscription_id not in base_ids:
                raise busy_error()
            if current.status == Status.POSTED:
                raise posted_edit_refusal(current)
            if current.replaces_id is not None:
                _refuse_replacement_draft(current)
            reason = _("Изменение")
        else:
            extension.created_by = user
            extension.request_token = request_token
            reason = _("Создание")
        extension.subscription = bases[extension.subscription_id]
        _rely_on_extension_offers(locks, extension)
        extension.status = Status.DRAFT
        if post:
            _mark_posted(extension, user)
            reason = _("Проведение")
        _save_checked(extension, user=user, reason=reason, update=stored is not None)
        return extension


def _rely_on_extension_offers(locks, extension: ExtensionSubscription) -> None:
    """`_rely_on_offers` for an extension on its locked base: its tariff and period, the
    base's tariff (what the extension's tariff must be offered for) and the «1 месяц»
    period that prices «до окончания», share-locked and re-read in one statement per kind."""
    base = extension.subscription
    tariffs, _periods = _rely_on_offers(
        locks,
        [extension],
        tariff_ids=[base.tariff_id],
        period_ids=_month_period_ids([extension]),
    )
    if base.tariff_id in tariffs:
        base.tariff = tariffs[base.tariff_id]


def _mark_posted(extension: ExtensionSubscription, user) -> None:
    """Post an extension whose stored row (read under its lock) is a draft, or a new one."""
    kept_limits.counts_from_now(extension)
    extension.status = Status.POSTED
    extension.posted_by = user
    extension.posted_at = clock.now()
    # R16: both prices as they are at posting — the service's and the partner's on the
    # posting day (one query: billing's price list) — never rewritten by later changes.
    organization_id = extension.subscription.organization_id
    today = clock.today()
    if extension.until_base_end:
        # To the base's last day as it is now, at the 1-month price as it is now,
        # both kept from here on. Unpriceable, it is refused by full_clean().
        extension.compute_ends_on()
        month = extension.tariff.month_period()
        span = (extension.starts_on, extension.ends_on)
        prices = span_prices(month, *span, extension.quantity)
        if prices is not None:
            extension.unit_price, extension.amount = prices
            extension.partner_unit_price, extension.partner_amount = partner_kept_prices(
                organization_id, month, extension.quantity, today, span=span
            )
    elif extension.period_id:
        extension.unit_price, extension.amount = kept_prices(
            extension.period, extension.quantity or 0
        )
        extension.partner_unit_price, extension.partner_amount = partner_kept_prices(
            organization_id, extension.period, extension.quantity or 0, today
        )


def _keep_base_prices(subscription: Subscription) -> None:
    """R16: a base being posted keeps the service's price and the partner's (on the
    posting day); re-kept when a posted base changes its tariff or period."""
    subscription.amount, subscription.partner_amount = base_kept_prices(
        subscription, subscription.subscriber.organization_id, clock.today()
    )


def _forget_base_prices(subscription: Subscription) -> None:
    subscription.amount = None
    subscription.partner_amount = None


def _month_period_ids(extensions) -> list:
    """The offered «1 месяц» periods whose price prices the extensions «до окончания
    подписки на тариф»: posting relies on that price, so it is share-locked with the
    rest of the offer (R12); the model reads it again under the lock."""
    return [
        _one_month_period_id(extension.tariff_id)
        for extension in extensions
        if extension.until_base_end and extension.tariff_id
    ]


def _follow_base_end(base: Subscription, *, user) -> None:
    """A base's drafts «до окончания подписки на тариф» follow its last day (and their
    price with it) after the base changed. Posted ones keep theirs (R10 refuses to
    shorten a base below them). A draft that now starts after the base's end is left
    as it is: like any draft outside its base, posting checks it again.

    The base is locked: every write of its extensions locks it first.
    """
    # A draft left by an undone quantity change keeps the end it took over: it is
    # only deleted (services._refuse_replacement_draft).
    drafts = (
        base.extensions.filter(
            status=Status.DRAFT,
            until_base_end=True,
            replaces__isnull=True,
            starts_on__lte=base.ends_on,
        )
        .exclude(ends_on=base.ends_on)
        .select_related("tariff")
        .order_by("pk")
    )
    for draft in drafts:
        draft.subscription = base
        _record(
            draft,
            user,
            _("Изменение подписки на тариф № %(number)s") % {"number": base.number},
        )
        draft.save(update_fields=["ends_on", "unit_price", "amount", "updated_at"])


def _lock_stored_extension(locks, pk) -> ExtensionSubscription:
    """Lock the base the extension is stored under, then the extension, and read both.

    The base comes from the stored row, never from the caller's object: a page
    opened before an admin moved the draft to another base must not move it back.
    """
    stored = _stored(ExtensionSubscription, pk, "subscription_id")
    if stored is None:
        raise document_deleted_error()
    # Each row locked and read by one statement: the base, then the extension.
    base = locks.exclusive_rows(Subscription, [stored["subscription_id"]]).get(
        stored["subscription_id"]
    )
    if base is None:
        raise document_deleted_error()
    current = locks.exclusive_rows(ExtensionSubscription, [pk]).get(pk)
    if current is None:
        raise document_deleted_error()
    if current.subscription_id != base.pk:
        raise busy_error()  # moved between our read and our lock: try again
    current.subscription = base
    return current


def extension_post(*, extension: ExtensionSubscription, user) -> ExtensionSubscription:
    with locked_transaction() as locks:
        current = _lock_stored_extension(locks, extension.pk)
        if current.is_posted:
            return current
        _refuse_replacement_draft(current)
        _rely_on_extension_offers(locks, current)
        _mark_posted(current, user)
        _save_checked(current, user=user, reason=_("Проведение"), update=True)
        return current


def extension_unpost(*, extension: ExtensionSubscription, user) -> ExtensionSubscription:
    """Un-post an extension (R15: before it starts or on the day it was posted).

    A replacement («Изменить количество») un-posted undoes the change: the
    extension it replaced gets its end back, in the same transaction.
    """
    with locked_transaction() as locks:
        current, replaced = _lock_stored_extension_and_replaced(locks, extension.pk)
        if not current.is_posted:
            return current
        _refuse_late_unpost(current)  # R15
        replacement = current.replacements.filter(status=Status.POSTED).order_by("pk").first()
        if replacement is not None:
            raise ValidationError(
                rules.check_unpost_keeps_replacement(replacement_number=replacement.number)
            )
        if replaced is not None:
            _undo_quantity_change(current, replaced, user=user)
        _forget_early_end(current)
        current.status = Status.DRAFT
        current.posted_by = None
        current.posted_at = None
        current.unit_price = None
        current.amount = None
        current.partner_unit_price = None
        current.partner_amount = None
        _save_checked(current, user=user, reason=_("Отмена проведения"), update=True)
        return current


def extension_delete(*, extension: ExtensionSubscription, user) -> None:
    with locked_transaction() as locks:
        current = _lock_stored_extension(locks, extension.pk)
        if current.is_posted:
            raise rules.posted_delete_refusal(current, today=clock.today(), is_base=False)
        left = current.replacements.order_by("pk").first()
        if left is not None:
            raise ValidationError(
                _(
                    "Расширение продолжает черновик № %(number)s (отмененное изменение "
                    "количества): сначала удалите его."
                ),
                code="delete_has_replacement",
                params={"number": left.number},
            )
        _record(current, user, _("Удаление"))
        current.delete()


# --- Reference data: tariffs and their periods ---------------------------------
#
# What documents rely on changes only here, under the row's exclusive lock,
# with «in use» checked under that lock (the models' clean() compares with
# the stored row). Posting share-locks the same rows, so a change waits for
# the postings in flight and then sees them, and a posting that comes second
# sees the change.


def _reference_errors(instance, extra=None) -> ValidationError | None:
    """full_clean()'s errors merged with `extra` (a callable raising ValidationError)."""
    errors = {}
    for check in (instance.full_clean, extra):
        if check is None:
            continue
        try:
            check()
        except ValidationError as error:
            for field, messages in error.update_error_dict({}).items():
                errors.setdefault(field, []).extend(messages)
    return ValidationError(errors) if errors else None


def _lock_reference(locks, model, instance) -> bool:
    """Lock an existing row exclusively; True when it exists (False: nothing to lock)."""
    if instance._state.adding:
        return False
    if not locks.exclusive(model, [instance.pk]):
        raise record_deleted_error()
    return True


def tariff_save(*, tariff: Tariff, user, offered_for=None) -> Tariff:
    """Create or change a tariff; `offered_for` (base tariffs), when given, replaces its offers.

    Under the tariff's lock: a used tariff keeps its kind and resource (R2),
    its maximum stays at or above every posted quantity (R8), and a base
    tariff leaves «предлагается для тарифов» only while no extension of this
    tariff stands on its subscriptions (R2).
    """
    with locked_transaction() as locks:
        existing = _lock_reference(locks, Tariff, tariff)
        offers = list(offered_for) if offered_for is not None else None
        refusal = _reference_errors(
            tariff, (lambda: tariff.clean_offered_for(offers)) if offers is not None else None
        )
        if refusal is not None:
            raise refusal
        _record(tariff, user, _("Изменение") if existing else _("Создание"))
        tariff.save(force_update=existing)
        if offers is not None:
            tariff.offered_for.set(offers)
        return tariff


def tariff_delete(*, tariff: Tariff, user) -> None:
    with locked_transaction() as locks:
        _lock_reference(locks, Tariff, tariff)
        current = Tariff.objects.get(pk=tariff.pk)
        if current.is_in_use():
            raise ValidationError(
                _(
                    "По тарифу «%(tariff)s» уже оформлены подписки: удалить его нельзя. Чтобы "
                    "больше его не предлагать, снимите флажок «действует»."
                ),
                code="tariff_in_use",
                params={"tariff": current.name},
            )
        _record(current, user, _("Удаление"))
        current.delete()


def tariff_period_save(*, period: TariffPeriod, user) -> TariffPeriod:
    """Create or change a period. Under its lock: a used period keeps its tariff and length
    (R3); its price and activity may change (posted documents keep their prices)."""
    with locked_transaction() as locks:
        if period.tariff_id is not None and not locks.shared(Tariff, [period.tariff_id]):
            raise record_deleted_error()  # its tariff was deleted meanwhile
        existing = _lock_reference(locks, TariffPeriod, period)
        refusal = _reference_errors(period)
        if refusal is not None:
            raise refusal
        _record(period, user, _("Изменение") if existing else _("Создание"))
        period.save(force_update=existing)
        return period


def tariff_period_delete(*, period: TariffPeriod, user) -> None:
    with locked_transaction() as locks:
        _lock_reference(locks, TariffPeriod, period)
        current = TariffPeriod.objects.select_related("tariff").get(pk=period.pk)
        if current.is_in_use():
            raise ValidationError(
                _(
                    "Период «%(period)s» уже есть в подписках: удалить его нельзя. Чтобы больше "
                    "его не предлагать, снимите флажок «предлагается»."
                ),
                code="period_in_use",
                params={"period": current.label},
            )
        _record(current, user, _("Удаление"))
        current.delete()


# --- R14 «Прекратить», «Изменить количество»; R15 un-posting is a correction ------------------
#
# An early end keeps the document posted with its kept price: its `ends_on`
# becomes the chosen last day (`ended_early_on`), the end by contract stays in
# `planned_ends_on`, the unused part is computed once (pricing.unused_amount)
# and kept, with the reason, who and when; the history records the change.
# Limits drop from the day after: the documents' post_save receivers keep the
# subscribers' kept limits current (kept_limits.document_saved), and days after
# today are read from the documents themselves.

DAY = datetime.timedelta(days=1)
# simple_history keeps a change reason of at most 100 characters; the full
# reason is on the document (`early_end_reason`), which the history records too.
HISTORY_REASON_LENGTH = 100


def _history_reason(text: str) -> str:
    return text if len(text) <= HISTORY_REASON_LENGTH else text[: HISTORY_REASON_LENGTH - 1] + "…"


def posted_day(document):
    """The day (Asia/Almaty, the service's time zone) a document was posted; None if unknown."""
    return document.posted_on


def _refuse_late_unpost(document) -> None:
    """R15: un-posting only before the document starts or on the day it was posted."""
    errors = rules.check_unpost_window(
        today=clock.today(),
        starts_on=document.starts_on,
        posted_on=posted_day(document),
        number=document.number,
    )
    if errors:
        raise ValidationError(errors)


def _forget_early_end(document) -> None:
    """Un-posted, a document is no longer ended early: back to its end by contract."""
    if document.ended_early_on is None:
        return
    document.ended_early_on = None
    if not document.is_replacement:
        if document.planned_ends_on is not None:
            # A grace subscription has no period to compute its end from again (R13).
            document.ends_on = document.planned_ends_on
        document.planned_ends_on = None
    document.early_end_reason = ""
    document.ended_early_by = None
    document.ended_early_at = None
    document.unused_amount = None


def _refuse_replacement_draft(extension) -> None:
    if extension.replaces_id is not None and not extension.is_posted:
        raise ValidationError(
            rules.check_replacement_draft_stays(
                number=extension.number,
                replaced_number=ExtensionSubscription.objects.filter(pk=extension.replaces_id)
                .values_list("number", flat=True)
                .first(),
            )
        )


def _end_early(document, *, last_day, reason: str, user, history_reason: str) -> None:
    """End a locked, re-read, posted document on `last_day` and save it (R14)."""
    document.unused_amount = unused_amount(document, last_day)
    document.planned_ends_on = contract_ends_on(document)
    document.ended_early_on = last_day
    document.early_end_reason = reason
    document.ended_early_by = user
    document.ended_early_at = timezone.now()
    _save_checked(document, user=user, reason=_history_reason(history_reason), update=True)


def _early_end_refusal(document, *, last_day, reason) -> dict:
    errors = rules.check_early_end_day(
        today=clock.today(),
        last_day=last_day,
        starts_on=document.starts_on,
        ends_on=document.ends_on,
        is_posted=document.is_posted,
    )
    if "__all__" in errors:
        return errors
    errors.update(rules.check_early_end_reason(reason))
    return errors


def subscription_end_early(
    *, subscription: Subscription, last_day, reason: str, end_extensions: bool = False, user
) -> Subscription:
    """«Прекратить» a posted base: it ends on `last_day` (from today to its end).

    Refused while posted extensions would run past it (R10), naming them,
    unless `end_extensions` («прекратить и расширения»): then each of them ends
    on the same day in this transaction, with its own unused part and history.
    Locks: the subscriber, the base, then those extensions in pk order.
    """
    reason = (reason or "").strip()
    with locked_transaction() as locks:
        base = _lock_base_with_subscriber(locks, subscription.pk)
        errors = _early_end_refusal(base, last_day=last_day, reason=reason)
        if errors:
            raise ValidationError(errors)
        posted = list(base.extensions.filter(status=Status.POSTED).order_by("starts_on", "pk"))
        errors = rules.check_base_early_end_keeps_extensions(
            starts_on=base.starts_on,
            last_day=last_day,
            posted_extensions=posted,
            end_extensions=end_extensions,
        )
        if errors:
            raise ValidationError(errors)
        running_past = [e.pk for e in posted if e.ends_on > last_day]
        locks.exclusive(ExtensionSubscription, running_past)
        for extension in ExtensionSubscription.objects.filter(pk__in=running_past).order_by("pk"):
            extension.subscription = base
            _end_early(
                extension,
                last_day=last_day,
                reason=reason,
                user=user,
                history_reason=_("Прекращение вместе с подпиской № %(number)s: %(reason)s")
                % {"number": base.number, "reason": reason},
            )
        _end_early(
            base,
            last_day=last_day,
            reason=reason,
            user=user,
            history_reason=_("Прекращение: %(reason)s") % {"reason": reason},
        )
        _follow_base_end(base, user=user)  # its drafts «до окончания» end with it
        return base


def extension_end_early(
    *, extension: ExtensionSubscription, last_day, reason: str, user
) -> ExtensionSubscription:
    """«Прекратить» a posted extension: it ends on `last_day` (from today to its end)."""
    reason = (reason or "").strip()
    with locked_transaction() as locks:
        current = _lock_stored_extension(locks, extension.pk)
        errors = _early_end_refusal(current, last_day=last_day, reason=reason)
        if errors:
            raise ValidationError(errors)
        _end_early(
            current,
            last_day=last_day,
            reason=reason,
            user=user,
            history_reason=_("Прекращение: %(reason)s") % {"reason": reason},
        )
        return current


def extension_change_quantity(
    *, extension: ExtensionSubscription, change_on, quantity: int, user
) -> ExtensionSubscription:
    """«Изменить количество» of a running posted extension from `change_on`.

    One transaction: the extension ends on the day before (an early end,
    reason «изменение количества», with its unused part), and a new posted
    extension that `replaces` it runs from `change_on` to the same end with
    `quantity`, priced at the tariff's current 1-month price by the span rule
    (pricing.span_unit_price; without an offered 1-month period, at the old
    extension's own monthly share) × quantity, kept. An extension «до окончания
    подписки на тариф» is replaced by one (no period). Returns the new one.
    Locks: the base, the extension, the tariffs and periods relied on.
    """
    with locked_transaction() as locks:
        current = _lock_stored_extension(locks, extension.pk)
        replaced_by = current.replacements.filter(status=Status.POSTED).order_by("pk").first()
        errors = rules.check_quantity_change(
            today=clock.today(),
            change_on=change_on,
            starts_on=current.starts_on,
            ends_on=current.ends_on,
            is_posted=current.is_posted,
            quantity=current.quantity,
            new_quantity=quantity,
            max_quantity=None,  # checked below against the tariff read under its lock
            replaced_by_number=replaced_by.number if replaced_by else None,
        )
        if errors:
            raise ValidationError(errors)
        one_month_id = _one_month_period_id(current.tariff_id)
        # A co-terminating one («до окончания подписки на тариф») is continued as one: no
        # period, so it is labelled, carried at renewal and checked as one; any other
        # gets the «1 месяц» it is priced by (its label is its span: describe_term).
        replacement = ExtensionSubscription(
            subscription=current.subscription,
            tariff_id=current.tariff_id,
            period_id=None if current.until_base_end else (one_month_id or current.period_id),
            until_base_end=current.until_base_end,
            starts_on=change_on,
            planned_ends_on=current.ends_on,
            quantity=quantity,
            replaces=current,
            created_by=user,
        )
        tariffs, periods = _rely_on_offers(
            locks,
            [replacement],
            tariff_ids=[current.subscription.tariff_id],
            period_ids=[current.period_id, one_month_id],
        )
        current.period = periods.get(current.period_id, current.period)
        month = periods.get(one_month_id)
        if month is not None and not month.is_active:
            month = None
        errors = rules.check_quantity(
            quantity=quantity, max_quantity=tariffs[current.tariff_id].max_quantity
        )
        if errors:
            raise ValidationError(errors)
        monthly = month.price if month is not None else None
        unit = span_unit_price(current, change_on, current.ends_on, monthly_price=monthly)
        partner_monthly = (
            partner_unit_price(current.organization_id, month, clock.today())
            if month is not None
            else None
        )
        partner_unit = partner_span_unit_price(
            current, change_on, current.ends_on, monthly_price=partner_monthly
        )
        old_quantity = current.quantity
        _end_early(
            current,
            last_day=change_on - DAY,
            reason=_("Изменение количества с %(day)s: %(old)s → %(new)s")
            % {"day": fmt(change_on), "old": old_quantity, "new": quantity},
            user=user,
            history_reason=_("Изменение количества с %(day)s: %(old)s → %(new)s")
            % {"day": fmt(change_on), "old": old_quantity, "new": quantity},
        )
        replacement.status = Status.POSTED
        replacement.posted_by = user
        replacement.posted_at = clock.now()
        replacement.unit_price = unit
        replacement.amount = units_amount(unit, quantity)
        replacement.partner_unit_price = partner_unit
        replacement.partner_amount = units_amount(partner_unit, quantity)
        _save_checked(
            replacement,
            user=user,
            reason=_history_reason(
                _("Изменение количества: заменяет № %(number)s") % {"number": current.number}
            ),
            update=False,
        )
        return replacement


def _one_month_period_id(tariff_id):
    """The pk of the tariff's offered «1 месяц» period (pricing.month_price_period), or None."""
    month = month_price_period(tariff_id)
    return month.pk if month is not None else None


def _lock_stored_extension_and_replaced(locks, pk):
    """Lock the stored base, then the extension and the one it replaces (pk order).

    Returns (the extension, the replaced one or None), both read under the locks.
    """
    stored = _stored(ExtensionSubscription, pk, "subscription_id", "replaces_id")
    if stored is None:
        raise document_deleted_error()
    if stored["replaces_id"] is None:
        return _lock_stored_extension(locks, pk), None
    base = _lock_base(locks, stored["subscription_id"])
    found = locks.exclusive(ExtensionSubscription, [pk, stored["replaces_id"]])
    if pk not in found:
        raise document_deleted_error()
    current = ExtensionSubscription.objects.get(pk=pk)
    replaced = ExtensionSubscription.objects.filter(pk=current.replaces_id).first()
    if replaced is None or {current.subscription_id, replaced.subscription_id} != {base.pk}:
        raise busy_error()
    current.subscription = base
    replaced.subscription = base
    return current, replaced


EARLY_END_FIELDS = (
    "ended_early_on",
    "planned_ends_on",
    "early_end_reason",
    "ended_early_by_id",
    "ended_early_at",
    "unused_amount",
)


def _undo_quantity_change(replacement, replaced, *, user) -> None:
    """Give `replaced` back what it was before `replacement` took over (R15's correction).

    Refused when `replaced` changed after the quantity change (its history has
    a record after the replacement was made, or it no longer ends the day before).
    """
    changed_after = replaced.ended_early_on != replacement.starts_on - DAY or (
        replaced.history.filter(history_date__gt=replacement.created_at).exists()
    )
    errors = rules.check_replacement_undo(
        number=replacement.number, replaced_number=replaced.number, replaced_changed=changed_after
    )
    if errors:
        raise ValidationError(errors)
    before = (
        replaced.history.filter(history_date__lt=replacement.created_at)
        .order_by("-history_date", "-history_id")[1:2]
        .first()
    )
    for name in EARLY_END_FIELDS:
        setattr(replaced, name, getattr(before, name) if before is not None else None)
    if before is None:
        replaced.early_end_reason = ""
    _save_checked(
        replaced,
        user=user,
        reason=_history_reason(
            _("Отмена изменения количества (№ %(number)s)") % {"number": replacement.number}
        ),
        update=True,
    )


# --- R13: the grace subscription («Продлевающая», «обещанный платеж») -----------------------


def grace_create(
    *,
    subscription: Subscription,
    days: int | None = None,
    user,
    request_token: uuid.UUID | None = None,
) -> Subscription:
    """Record and post a grace subscription for an ended posted base (R13): from today,
    for `days` days (None: the tariff's grace days), with the base's subscriber and
    tariff, and no extensions.

    Locked as `subscription_renew` is: the subscriber, then the base; the tariff is
    share-locked and re-read (its grace settings). R13 is asked before anything is
    built and checked again by `full_clean()`; the database keeps one grace per base
    (a unique constraint). The same `request_token` twice returns the first one's.
    """
    with locked_transaction() as locks:
        base = _lock_base_with_subscriber(locks, subscription.pk)
        existing = _existing_by_token(Subscription, request_token)
        if existing is not None:
            return existing
        _rely_on_offers(locks, [base])
        today = clock.today()
        if (refusal := grace_refusal_for(base, today)) is not None:
            raise ValidationError({"__all__": refusal})
        tariff = base.tariff
        days = tariff.grace_days if days is None else days
        if errors := rules.check_grace_days(days=days, grace_days=tariff.grace_days):
            raise ValidationError(errors)
        grace = Subscription(
            subscriber=base.subscriber,
            tariff=tariff,
            kind=Subscription.Kind.GRACE,
            renews=base,
            starts_on=today,
            ends_on=grace_ends_on(today, days),
            status=Status.POSTED,
            created_by=user,
            posted_by=user,
            posted_at=clock.now(),
            request_token=request_token,
        )
        _keep_base_prices(grace)
        _save_checked(grace, user=user, reason=_("Продлевающая подписка"), update=False)
        return grace
