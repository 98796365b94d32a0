"""The one write path for subscriptions (R12).

Every action opens one transaction, locks the base subscription row (and, for
base subscriptions, the subscriber row first, so that two new base
subscriptions of one subscriber serialize), re-reads what it needs, runs
`full_clean()` — where the rules live — saves and records who did it.
A lock held too long by someone else becomes a ValidationError that asks the
operator to try again, never a 500.
"""

import contextlib
import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from subscribers.models import Subscriber

from .models import ExtensionSubscription, Status, Subscription, TariffPeriod
from .pricing import kept_prices
from .renewal import carried_extensions, carried_period, renewal_refusal, renewal_starts_on

BUSY_CODE = "document_busy"
logger = logging.getLogger(__name__)


def _busy_error() -> ValidationError:
    return ValidationError(
        _(
            "Эту подписку сейчас изменяет другой пользователь. "
            "Повторите действие через несколько секунд."
        ),
        code=BUSY_CODE,
    )


@contextlib.contextmanager
def _locked_transaction():
    """`transaction.atomic()` whose row locks wait a bounded time.

    On PostgreSQL a lock not granted within POSTING_LOCK_TIMEOUT_MS, or a
    deadlock, aborts the transaction; SQLite reports «database is locked»
    after its busy timeout. Either becomes the same polite refusal.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        [f"{int(settings.POSTING_LOCK_TIMEOUT_MS)}ms"],
                    )
            yield
    except OperationalError as exc:
        code = getattr(getattr(exc, "__cause__", None), "pgcode", None)
        if code in ("55P03", "40P01", "40001") or "locked" in str(exc):
            raise _busy_error() from exc
        raise


def _lock_base(pk) -> Subscription:
    # Lock without joins: under READ COMMITTED, PostgreSQL re-checks a locked
    # row that changed meanwhile against the *old* joined rows, so a join on
    # a changed period_id would silently drop the row. Lock, then read.
    Subscription.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()
    return Subscription.objects.select_related("tariff", "period", "subscriber").get(pk=pk)


def posted_edit_refusal() -> ValidationError:
    """A posted extension is not edited in place (its price and dates are kept)."""
    return ValidationError(
        _("Проведенное расширение не изменяют: сначала отмените проведение."),
        code="edit_posted",
    )


def _lock_subscriber(pk) -> None:
    list(Subscriber.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))


def _record(instance, user, reason: str) -> None:
    instance._history_user = user
    instance._change_reason = reason


def _save_checked(instance, *, user, reason: str) -> None:
    """full_clean() and save; a database constraint that still fires becomes a refusal."""
    instance.full_clean()
    _record(instance, user, reason)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        # The database is the last line (R9, R11's exclusion constraint, the
        # one-time token): whatever clean() missed lands here. The detail goes
        # to the log, never to the operator's screen.
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


def _existing_by_token(model, request_token):
    if request_token is None:
        return None
    return model.objects.filter(request_token=request_token).first()


# --- Base subscriptions ------------------------------------------------------


def subscription_save(
    *, subscription: Subscription, user, request_token: uuid.UUID | None = None
) -> Subscription:
    """Create a base subscription, or change one (a posted one too, within R10/R11)."""
    with _locked_transaction():
        # Lock first, then look for the token: two identical submits at once
        # queue on the lock, and the second finds the first's document.
        subscriber_ids = {subscription.subscriber_id}
        if subscription.pk:
            # moving a subscription to another subscriber locks both, in pk order
            subscriber_ids |= set(
                Subscription.objects.filter(pk=subscription.pk).values_list(
                    "subscriber_id", flat=True
                )
            )
        for subscriber_id in sorted(subscriber_ids):
            _lock_subscriber(subscriber_id)
        existing = _existing_by_token(Subscription, request_token)
        if existing is not None:
            return existing
        if subscription.pk:
            stored = _lock_base(subscription.pk)
            reason = _("Изменение")
            was_posted = stored.is_posted
        else:
            subscription.created_by = user
            subscription.request_token = request_token
            reason = _("Создание")
            was_posted = False
        if subscription.is_posted and not was_posted:
            subscription.posted_by = user
            subscription.posted_at = timezone.now()
            reason = _("Проведение")
        elif was_posted and not subscription.is_posted:
            subscription.posted_by = None
            subscription.posted_at = None
            reason = _("Отмена проведения")
        _save_checked(subscription, user=user, reason=reason)
        return subscription


def subscription_post(*, subscription: Subscription, user) -> Subscription:
    with _locked_transaction():
        _lock_subscriber(subscription.subscriber_id)
        base = _lock_base(subscription.pk)
        if base.is_posted:
            return base
        base.status = Status.POSTED
        base.posted_by = user
        base.posted_at = timezone.now()
        _save_checked(base, user=user, reason=_("Проведение"))
        return base


def subscription_unpost(*, subscription: Subscription, user) -> Subscription:
    with _locked_transaction():
        _lock_subscriber(subscription.subscriber_id)
        base = _lock_base(subscription.pk)
        if not base.is_posted:
            return base
        base.status = Status.DRAFT
        base.posted_by = None
        base.posted_at = None
        _save_checked(base, user=user, reason=_("Отмена проведения"))
        return base


def subscription_delete(*, subscription: Subscription, user) -> None:
    with _locked_transaction():
        base = _lock_base(subscription.pk)
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
    with _locked_transaction():
        _lock_subscriber(subscription.subscriber_id)
        base = _lock_base(subscription.pk)
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
        _save_checked(renewal, user=user, reason=_("Продление"))
        if copy_extensions:
            # The base is locked: its extensions cannot change meanwhile.
            for extension in carried_extensions(base):
                periods = TariffPeriod.objects.filter(tariff=extension.tariff_id, is_active=True)
                carried = carried_period(
                    periods, starts_on=renewal.starts_on, ends_on=renewal.ends_on, like=period
                )
                _carry_extension(extension, renewal=renewal, period=carried, user=user)
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
        _save_checked(copy, user=user, reason=_("Перенос при продлении"))
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
    document the first request made.
    """
    with _locked_transaction():
        stored = (
            ExtensionSubscription.objects.filter(pk=extension.pk)
            .values("status", "subscription_id")
            .first()
            if extension.pk
            else None
        )
        # Moving a draft to another base locks both bases, in pk order (R12).
        base_ids = {extension.subscription_id} | ({stored["subscription_id"]} if stored else set())
        for base_id in sorted(base_ids):
            locked = _lock_base(base_id)
            if base_id == extension.subscription_id:
                base = locked
        existing = _existing_by_token(ExtensionSubscription, request_token)
        if existing is not None:
            return existing
        extension.subscription = base
        if stored is not None:
            if stored["status"] == Status.POSTED:
                raise posted_edit_refusal()
            reason = _("Изменение")
        else:
            extension.created_by = user
            extension.request_token = request_token
            reason = _("Создание")
        extension.status = Status.DRAFT
        if post:
            _mark_posted(extension, user)
            reason = _("Проведение")
        _save_checked(extension, user=user, reason=reason)
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


def extension_post(*, extension: ExtensionSubscription, user) -> ExtensionSubscription:
    with _locked_transaction():
        base = _lock_base(extension.subscription_id)
        current = ExtensionSubscription.objects.select_for_update().get(pk=extension.pk)
        if current.is_posted:
            return current
        current.subscription = base
        _mark_posted(current, user)
        _save_checked(current, user=user, reason=_("Проведение"))
        return current


def extension_unpost(*, extension: ExtensionSubscription, user) -> ExtensionSubscription:
    with _locked_transaction():
        _lock_base(extension.subscription_id)
        current = ExtensionSubscription.objects.select_for_update().get(pk=extension.pk)
        if not current.is_posted:
            return current
        current.status = Status.DRAFT
        current.posted_by = None
        current.posted_at = None
        current.unit_price = None
        current.amount = None
        _save_checked(current, user=user, reason=_("Отмена проведения"))
        return current


def extension_delete(*, extension: ExtensionSubscription, user) -> None:
    with _locked_transaction():
        _lock_base(extension.subscription_id)
        current = ExtensionSubscription.objects.select_for_update().get(pk=extension.pk)
        if current.is_posted:
            raise ValidationError(
                _("Проведенное расширение удалить нельзя: сначала отмените проведение."),
                code="delete_posted",
            )
        _record(current, user, _("Удаление"))
        current.delete()
