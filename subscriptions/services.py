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

import logging
import uuid

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.locking import (
    BUSY_CODE,  # noqa: F401 - callers read services.BUSY_CODE
    DOCUMENT_DELETED_CODE,
    busy_error,
    locked_transaction,
    record_deleted_error,
)
from subscribers.models import Subscriber

from .models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from .pricing import kept_prices
from .renewal import carried_extensions, carried_period, renewal_refusal, renewal_starts_on

logger = logging.getLogger(__name__)


def document_deleted_error() -> ValidationError:
    return ValidationError(
        _(
            "Документ удален другим пользователем: изменения не записаны. Откройте список "
            "подписок абонента и, если документ нужен, оформите его заново."
        ),
        code=DOCUMENT_DELETED_CODE,
    )


def posted_edit_refusal() -> ValidationError:
    """A posted extension is not edited in place (its price and dates are kept)."""
    return ValidationError(
        _("Проведенное расширение не изменяют: сначала отмените проведение."),
        code="edit_posted",
    )


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


def _rely_on_subscriber(subscription: Subscription) -> None:
    """Point the base at its subscriber as stored now (under the subscriber's lock).

    The organization is copied from it (R1); a subscriber that another user
    moved to another partner since the caller read it is a refusal, never a
    document filed under the old partner.
    """
    if subscription.subscriber_id is None:
        return
    fresh = Subscriber.objects.filter(pk=subscription.subscriber_id).first()
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
    tariffs = Tariff.objects.in_bulk(locks.shared(Tariff, wanted_tariffs))
    periods = TariffPeriod.objects.in_bulk(locks.shared(TariffPeriod, wanted_periods))
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


def _save_checked(instance, *, user, reason: str, update: bool) -> None:
    """full_clean() and save; a database constraint that still fires becomes a refusal.

    `update`: the row exists (and is locked) — it is updated, never inserted
    again if it has vanished.
    """
    instance.full_clean()
    _record(instance, user, reason)
    try:
        with transaction.atomic():
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
        locks.exclusive(Subscriber, subscriber_ids)
        existing = _existing_by_token(Subscription, request_token)
        if existing is not None:
            return existing
        if stored is not None:
            current = _lock_base(locks, subscription.pk)
            if current.subscriber_id not in subscriber_ids:
                raise busy_error()  # moved by someone else between our read and our lock
            reason = _("Изменение")
            was_posted = current.is_posted
        else:
            subscription.created_by = user
            subscription.request_token = request_token
            reason = _("Создание")
            was_posted = False
        _rely_on_subscriber(subscription)
        _rely_on_offers(locks, [subscription])
        if subscription.is_posted and not was_posted:
            subscription.posted_by = user
            subscription.posted_at = timezone.now()
            reason = _("Проведение")
        elif was_posted and not subscription.is_posted:
            subscription.posted_by = None
            subscription.posted_at = None
            reason = _("Отмена проведения")
        _save_checked(subscription, user=user, reason=reason, update=stored is not None)
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


def subscription_post(*, subscription: Subscription, user) -> Subscription:
    with locked_transaction() as locks:
        base = _lock_base_with_subscriber(locks, subscription.pk)
        if base.is_posted:
            return base
        _rely_on_offers(locks, [base])
        base.status = Status.POSTED
        base.posted_by = user
        base.posted_at = timezone.now()
        _save_checked(base, user=user, reason=_("Проведение"), update=True)
        return base


def subscription_unpost(*, subscription: Subscription, user) -> Subscription:
    with locked_transaction() as locks:
        base = _lock_base_with_subscriber(locks, subscription.pk)
        if not base.is_posted:
            return base
        base.status = Status.DRAFT
        base.posted_by = None
        base.posted_at = None
        _save_checked(base, user=user, reason=_("Отмена проведения"), update=True)
        return base


def subscription_delete(*, subscription: Subscription, user) -> None:
    with locked_transaction() as locks:
        base = _lock_base(locks, subscription.pk)
        if base.is_posted:
            raise ValidationError(
                _("Проведенную подписку удалить нельзя: сначала отмените проведение."),
                code="delete_posted",
            )
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
        posted_at = timezone.now()
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
        _save_checked(renewal, user=user, reason=_("Продление"), update=False)
        for extension in carried:
            extension.tariff = tariffs[extension.tariff_id]
            candidates = [
                p for p in periods.values() if p.tariff_id == extension.tariff_id and p.is_active
            ]
            chosen = carried_period(
                candidates, starts_on=renewal.starts_on, ends_on=renewal.ends_on, like=period
            )
            _carry_extension(extension, renewal=renewal, period=chosen, user=user)
        return renewal


def _carry_extension(extension, *, renewal, period, user) -> ExtensionSubscription:
    """Post a copy of `extension` on `renewal`; a refusal names the extension."""
    copy = ExtensionSubscription(
        subscription=renewal,
        tariff=extension.tariff,
        period=period,
        quantity=extension.quantity,
        starts_on=renewal.starts_on,
        created_by=user,
    )
    try:
        if period is None:
            raise ValidationError(
                _("у тарифа нет периода, который поместился бы в продлевающую подписку."),
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
        found = locks.exclusive(Subscription, base_ids)
        if extension.subscription_id not in found:
            raise document_deleted_error()
        existing = _existing_by_token(ExtensionSubscription, request_token)
        if existing is not None:
            return existing
        if stored is not None:
            if not locks.exclusive(ExtensionSubscription, [extension.pk]):
                raise document_deleted_error()
            current = _stored(ExtensionSubscription, extension.pk, "status", "subscription_id")
            if current["subscription_id"] not in base_ids:
                raise busy_error()
            if current["status"] == Status.POSTED:
                raise posted_edit_refusal()
            reason = _("Изменение")
        else:
            extension.created_by = user
            extension.request_token = request_token
            reason = _("Создание")
        base = _read_base(extension.subscription_id)
        extension.subscription = base
        _rely_on_offers(locks, [extension], tariff_ids=[base.tariff_id])
        extension.status = Status.DRAFT
        if post:
            _mark_posted(extension, user)
            reason = _("Проведение")
        _save_checked(extension, user=user, reason=reason, update=stored is not None)
        return extension


def _mark_posted(extension: ExtensionSubscription, user) -> None:
    extension.status = Status.POSTED
    extension.posted_by = user
    extension.posted_at = timezone.now()
    if extension.period_id:
        # The price as it is at posting, never rewritten by later price changes.
        extension.unit_price, extension.amount = kept_prices(
            extension.period, extension.quantity or 0
        )


def _lock_stored_extension(locks, pk) -> ExtensionSubscription:
    """Lock the base the extension is stored under, then the extension, and read both.

    The base comes from the stored row, never from the caller's object: a page
    opened before an admin moved the draft to another base must not move it back.
    """
    stored = _stored(ExtensionSubscription, pk, "subscription_id")
    if stored is None:
        raise document_deleted_error()
    base = _lock_base(locks, stored["subscription_id"])
    if not locks.exclusive(ExtensionSubscription, [pk]):
        raise document_deleted_error()
    current = ExtensionSubscription.objects.get(pk=pk)
    if current.subscription_id != base.pk:
        raise busy_error()  # moved between our read and our lock: try again
    current.subscription = base
    return current


def extension_post(*, extension: ExtensionSubscription, user) -> ExtensionSubscription:
    with locked_transaction() as locks:
        current = _lock_stored_extension(locks, extension.pk)
        if current.is_posted:
            return current
        _rely_on_offers(locks, [current], tariff_ids=[current.subscription.tariff_id])
        _mark_posted(current, user)
        _save_checked(current, user=user, reason=_("Проведение"), update=True)
        return current


def extension_unpost(*, extension: ExtensionSubscription, user) -> ExtensionSubscription:
    with locked_transaction() as locks:
        current = _lock_stored_extension(locks, extension.pk)
        if not current.is_posted:
            return current
        current.status = Status.DRAFT
        current.posted_by = None
        current.posted_at = None
        current.unit_price = None
        current.amount = None
        _save_checked(current, user=user, reason=_("Отмена проведения"), update=True)
        return current


def extension_delete(*, extension: ExtensionSubscription, user) -> None:
    with locked_transaction() as locks:
        current = _lock_stored_extension(locks, extension.pk)
        if current.is_posted:
            raise ValidationError(
                _("Проведенное расширение удалить нельзя: сначала отмените проведение."),
                code="delete_posted",
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
