"""Ending early, changing the quantity and a refused late un-post (R14, R15), in Chromium.

«Today» is 20.03.2027 on the one clock (the live server runs in this process).
«ТОО "Ромашка"» holds a posted year of «Стандарт» from 15.03.2027 to 14.03.2028
with «Дополнительный сеанс» × 2 for the same year (30 000 ₸ each); «ИП Василек»
a posted year of «Стандарт» from 15.03.2027 with «Дополнительная база» × 1 for
6 months. The operator changes Ромашка's sessions to 3 from 03.08.2027 (7 мес. +
12 дн. at 3 000 ₸ a month: 22 200 ₸ each), ends the new extension on 31.12.2027,
ends Василек's base on 30.06.2027 with its extension («прекратить и расширения»),
and is refused a late un-post, which points to «Прекратить». Screenshots go to
test-output/screenshots/.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Subscription
from subscriptions.periods import Periodicity
from tests import factories
from tests.browser.conftest import PASSWORD, type_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def money(amount) -> str:
    """«22 200 ₸» as the page writes it; Playwright's text matching treats NBSP as a space."""
    return f"{int(amount):,}".replace(",", " ") + " ₸"


@pytest.fixture
def march_2027():
    with clock.today_is(datetime.date(2027, 3, 20)):
        organization = factories.OrganizationFactory(name="Демо-партнер")
        operator = factories.UserFactory(username="operator", password=PASSWORD)
        factories.MembershipFactory(organization=organization, user=operator, role="operator")
        standard = factories.BaseTariffFactory(name="Стандарт", sessions=5, infobases=2)
        year = factories.TariffPeriodFactory(tariff=standard, count=12, price=120000)
        sessions = factories.ExtensionTariffFactory(
            name="Дополнительный сеанс", offered_for=[standard]
        )
        infobases = factories.ExtensionTariffFactory(
            name="Дополнительная база",
            resource="infobases",
            max_quantity=5,
            offered_for=[standard],
        )
        for tariff, prices in ((sessions, (3000, 30000)), (infobases, (2000, 20000))):
            for count, price in zip((1, 12), prices, strict=True):
                factories.TariffPeriodFactory(
                    tariff=tariff, periodicity=Periodicity.MONTH, count=count, price=price
                )
        factories.TariffPeriodFactory(
            tariff=infobases, periodicity=Periodicity.MONTH, count=6, price=10500
        )
        start = datetime.date(2027, 3, 15)
        romashka = factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization, name='ТОО "Ромашка"'),
            tariff=standard,
            period=year,
            starts_on=start,
        )
        vasilek = factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization, name="ИП Василек"),
            tariff=standard,
            period=year,
            starts_on=start,
        )
        yield SimpleNamespace(
            romashka=romashka,
            vasilek=vasilek,
            sessions=factories.ExtensionFactory(
                subscription=romashka,
                tariff=sessions,
                period=sessions.periods.get(count=12),
                starts_on=start,
                quantity=2,
            ),
            vasilek_infobase=factories.ExtensionFactory(
                subscription=vasilek,
                tariff=infobases,
                period=infobases.periods.get(count=6),
                starts_on=start,
            ),
        )


def log_in(page):
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")


def test_change_the_quantity_then_end_the_new_extension_early(page, screenshot, march_2027):
    data = march_2027
    log_in(page)
    page.goto(page.live_server_url + f"/extensions/{data.sessions.pk}/")
    screenshot(page, "extension-card")

    page.get_by_role("link", name="Изменить количество").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Изменить количество № {data.sessions.number}"
    )
    type_date(page.get_by_label("Новое количество действует с"), datetime.date(2027, 8, 3))
    page.get_by_label("Количество расширений").fill("3")
    page.get_by_role("button", name="Пересчитать").click()
    expect(page.locator("output.total")).to_have_text(money(66600))
    expect(page.get_by_text("7 мес. + 12 дн.: 22 200 ₸ за единицу × количество.")).to_be_visible()
    screenshot(page, "change-quantity-form")
    assert ExtensionSubscription.objects.count() == 2

    page.get_by_role("button", name="Изменить количество").click()

    new = ExtensionSubscription.objects.get(replaces=data.sessions)
    page.wait_for_url(page.live_server_url + f"/extensions/{new.pk}/")
    expect(page.locator(".details")).to_contain_text(
        f"заменяет подписку № {data.sessions.number} (количество было 2)"
    )
    assert (new.starts_on, new.ends_on, new.quantity, new.amount) == (
        datetime.date(2027, 8, 3),
        datetime.date(2028, 3, 14),
        3,
        Decimal("66600"),
    )
    screenshot(page, "replacement-card")

    page.get_by_role("link", name="Прекратить").click()
    type_date(page.get_by_label("Последний день действия"), datetime.date(2027, 12, 31))
    page.get_by_label("Причина").fill("Клиент сократил штат")
    page.get_by_role("button", name="Пересчитать").click()
    # 01.01–14.03.2028: 2 months and 14 days at its own 3 000 a month, × 3
    expect(page.locator("output.total")).to_have_text(money(22200))
    screenshot(page, "end-early-form")
    page.get_by_role("button", name="Прекратить").click()

    page.wait_for_url(page.live_server_url + f"/extensions/{new.pk}/")
    expect(page.locator(".early-end")).to_contain_text(
        "Прекращена с 01.01.2028 (последний день — 31.12.2027, по договору — по 14.03.2028), "
        f"причина: «Клиент сократил штат», не использовано {money(22200)}"
    )
    screenshot(page, "replacement-ended")


def test_end_a_base_with_its_extension_and_a_refused_late_unpost(page, screenshot, march_2027):
    data = march_2027
    log_in(page)
    page.goto(page.live_server_url + f"/subscriptions/{data.vasilek.pk}/")

    # Posted on another day and running since 15.03.2027: too late to un-post.
    page.get_by_role("link", name="Отменить проведение").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Проведение № {data.vasilek.number} отменить нельзя"
    )
    screenshot(page, "late-unpost-refused")
    page.get_by_role("link", name="Прекратить").click()

    type_date(page.get_by_label("Последний день действия"), datetime.date(2027, 6, 30))
    page.get_by_label("Причина").fill("Клиент закрывает компанию")
    page.get_by_role("button", name="Прекратить").click()
    expect(page.locator("#id_end_extensions_errors")).to_contain_text(
        f"№ {data.vasilek_infobase.number}"
    )
    screenshot(page, "base-end-refused")

    page.get_by_label("Прекратить и расширения").check()
    page.get_by_role("button", name="Прекратить").click()

    page.wait_for_url(page.live_server_url + f"/subscriptions/{data.vasilek.pk}/")
    expect(page.get_by_role("main")).to_contain_text(
        f"Вместе с ней прекращены расширения: № {data.vasilek_infobase.number}."
    )
    expect(page.locator(".early-end")).to_contain_text("Прекращена с 01.07.2027")
    expect(page.locator(f"#extension-{data.vasilek_infobase.pk}")).to_contain_text(
        "30.06.2027 (прекращена)"
    )
    screenshot(page, "base-ended-with-extension")
    base = Subscription.objects.get(pk=data.vasilek.pk)
    extension = ExtensionSubscription.objects.get(pk=data.vasilek_infobase.pk)
    # base: 01.07.2027–14.03.2028 is 8 months and 14 days at 10 000 a month
    assert (base.ends_on, base.unused_amount) == (datetime.date(2027, 6, 30), Decimal("84667"))
    # extension: 01.07–14.09.2027 is 2 months and 14 days at 10 500 ÷ 6 = 1 750 a month
    assert (extension.ends_on, extension.unused_amount) == (
        datetime.date(2027, 6, 30),
        Decimal("4317"),
    )
