"""The one write path for partners and their subscribers (R1, R12).

Each action is one transaction that locks its row exclusively before it
checks anything («a check before the lock is a race»), in the order named in
`common.locking.LOCK_ORDER` (organizations, then subscribers). Posting a base
subscription locks its subscriber too, so an organization change and a first
posting never both succeed: whichever comes second waits, then sees the other
— a subscriber with subscriptions keeps its organization (`Subscriber.clean()`,
compared with the stored row), and a document is filed under the
organization the subscriber has under the lock.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.locking import locked_transaction, record_deleted_error

from .models import Membership, ServiceOrganization, Subscriber


def _record(instance, user, reason: str) -> None:
    instance._history_user = user
    instance._change_reason = reason


def _lock_existing(locks, model, instance) -> bool:
    """Lock the instance's row when it exists; True if it does. A vanished row is a refusal."""
    if instance._state.adding:
        return False
    if not locks.exclusive(model, [instance.pk]):
        raise record_deleted_error()
    return True


def organization_save(*, organization: ServiceOrganization, user) -> ServiceOrganization:
    with locked_transaction() as locks:
        existing = _lock_existing(locks, ServiceOrganization, organization)
        organization.full_clean()
        _record(organization, user, _("Изменение") if existing else _("Создание"))
        organization.save(force_update=existing)
        return organization


def organization_delete(*, organization: ServiceOrganization, user) -> None:
    """Delete a partner that serves nobody (its staff's memberships go with it)."""
    with locked_transaction() as locks:
        _lock_existing(locks, ServiceOrganization, organization)
        current = ServiceOrganization.objects.get(pk=organization.pk)
        # Under the lock: a subscriber added meanwhile has committed (its insert
        # waited for this lock) and is counted here.
        if current.subscribers.exists():
            raise ValidationError(
                _(
                    "У организации «%(name)s» есть абоненты: удалить ее нельзя. Сначала "
                    "передайте абонентов другой организации или удалите их."
                ),
                code="organization_in_use",
                params={"name": current.name},
            )
        _record(current, user, _("Удаление"))
        current.delete()


def subscriber_save(*, subscriber: Subscriber, user) -> Subscriber:
    """Create or change a subscriber; its organization changes only while it has no subscriptions.

    The check runs under the subscriber's row lock, the lock every base
    subscription's write takes first: a posting in flight finishes before it.
    """
    with locked_transaction() as locks:
        existing = _lock_existing(locks, Subscriber, subscriber)
        subscriber.full_clean()
        _record(subscriber, user, _("Изменение") if existing else _("Создание"))
        subscriber.save(force_update=existing)
        return subscriber


def subscriber_invoice_details_save(
    *, subscriber: Subscriber, legal_address: str, invoice_email: str, user
) -> Subscriber:
    """Change what an invoice to the subscriber needs (the cabinet's «Данные для счетов»).

    The row is re-read under its lock and only these two fields change, so a
    change another user made meanwhile to the rest of the card is kept.
    """
    with locked_transaction() as locks:
        _lock_existing(locks, Subscriber, subscriber)
        current = Subscriber.objects.get(pk=subscriber.pk)
        current.legal_address = legal_address
        current.invoice_email = invoice_email
        current.full_clean()
        _record(current, user, _("Данные для счетов"))
        current.save(force_update=True)
        return current


def subscriber_delete(*, subscriber: Subscriber, user) -> None:
    with locked_transaction() as locks:
        _lock_existing(locks, Subscriber, subscriber)
        current = Subscriber.objects.get(pk=subscriber.pk)
        if current.subscriptions.exists():
            raise ValidationError(
                _(
                    "У абонента «%(name)s» есть подписки: удалить его нельзя. Удалите сначала "
                    "черновики его подписок; проведенные подписки остаются в истории."
                ),
                code="subscriber_in_use",
                params={"name": current.name},
            )
        _record(current, user, _("Удаление"))
        current.delete()


def membership_set_language(*, user, language: str) -> bool:
    """Keep the cabinet language `user` chose on their membership: their reminder
    mails are written in it. True when stored; False for a language the cabinet
    does not offer, or a user without a membership (staff: the cookie is enough).

    One UPDATE of one column, without a lock or a history entry: a preference
    that no rule and no other write relies on.
    """
    if language not in {code for code, _name in settings.LANGUAGES}:
        return False
    return Membership.objects.filter(user=user).update(language=language) > 0
