import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from subscribers.models import Membership, Subscriber
from subscribers.validators import is_valid_bin_iin, validate_bin_iin
from tests import factories


@pytest.mark.parametrize(
    "value",
    [
        "000000000010",  # first weights: 1×11 = 11 ≡ 0
        "123456789013",  # first sum 296 ≡ 10, second weights: 377 ≡ 3
        factories.valid_bin_iin(1),
        factories.valid_bin_iin(7777),
    ],
)
def test_valid_bin_iin_is_accepted(value):
    assert is_valid_bin_iin(value), value
    validate_bin_iin(value)


def test_bin_iin_whose_first_sum_is_ten_uses_the_second_weights():
    # the 10th digit weighs 10 with the first weights, 1 with the second ones
    body = "00000000010"
    assert is_valid_bin_iin(body + "1")
    assert not is_valid_bin_iin(body + "0")


def test_bin_iin_without_a_possible_control_digit_is_invalid():
    # some bodies sum to 10 under both sets of weights: no digit can complete them
    from subscribers.validators import bin_iin_control_digit

    bodies = (f"{n:011d}" for n in range(0, 10**6))
    body = next(b for b in bodies if bin_iin_control_digit(b) is None)
    assert not any(is_valid_bin_iin(body + str(d)) for d in range(10))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("12345678901", "bin_iin_format"),
        ("1234567890123", "bin_iin_format"),
        ("12345678901a", "bin_iin_format"),
        ("１２３４５６７８９０１３", "bin_iin_format"),  # full-width digits
        ("123456789012", "bin_iin_checksum"),
    ],
)
def test_invalid_bin_iin_is_refused_with_a_code(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_bin_iin(value)
    assert exc.value.error_list[0].code == code


def test_subscriber_gets_a_unique_12_digit_code(organization):
    first = factories.SubscriberFactory(organization=organization)
    second = factories.SubscriberFactory(organization=organization)
    assert len(first.code) == 12 and first.code.isdigit()
    assert first.code != second.code


def test_subscriber_full_clean_assigns_the_code_and_checks_bin(organization):
    subscriber = Subscriber(organization=organization, name="ИП Тест", bin_iin="123456789012")
    with pytest.raises(ValidationError) as exc:
        subscriber.full_clean()
    assert "bin_iin" in exc.value.message_dict
    subscriber.bin_iin = factories.valid_bin_iin(5)
    subscriber.full_clean()
    assert len(subscriber.code) == 12


def test_subscriber_code_constraint_refuses_a_malformed_code(organization):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(
            organization=organization, name="X", bin_iin=factories.valid_bin_iin(3), code="12ab"
        )


def test_membership_role_constraint(organization):
    user = factories.UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(organization=organization, user=user, role="boss")


def test_only_owner_and_operator_write(organization):
    roles = {role: Membership(role=role).can_write for role in Membership.Role.values}
    assert roles == {"owner": True, "operator": True, "user": False}


def test_subscriber_with_subscriptions_cannot_change_organization(
    subscriber, other_organization, base_tariff
):
    # given a subscriber with a base subscription
    factories.SubscriptionFactory(subscriber=subscriber, tariff=base_tariff)
    subscriber = Subscriber.objects.get(pk=subscriber.pk)
    # when it is moved to another organization
    subscriber.organization = other_organization
    # then the change is refused next to the field
    with pytest.raises(ValidationError) as excinfo:
        subscriber.full_clean()
    [error] = excinfo.value.error_dict["organization"]
    assert error.code == "organization_change_with_subscriptions"
    assert "изменить нельзя" in error.messages[0]


def test_subscriber_without_subscriptions_may_change_organization(subscriber, other_organization):
    subscriber = Subscriber.objects.get(pk=subscriber.pk)
    subscriber.organization = other_organization
    subscriber.full_clean()


def test_the_organization_rule_holds_for_an_instance_built_afresh(
    subscriber, base_tariff, other_organization
):
    # the admin's history pages and forms may build the object without loading it
    factories.SubscriptionFactory(subscriber=subscriber, tariff=base_tariff)
    rebuilt = Subscriber(
        pk=subscriber.pk,
        organization=other_organization,
        name=subscriber.name,
        code=subscriber.code,
        bin_iin=subscriber.bin_iin,
    )
    with pytest.raises(ValidationError) as excinfo:
        rebuilt.full_clean(validate_unique=False)
    assert excinfo.value.error_dict["organization"][0].code == (
        "organization_change_with_subscriptions"
    )
