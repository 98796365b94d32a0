"""An extension to the base's end, added mid-term, in real Chromium.

«Today» is 20.03.2027 on the one clock (the live server runs in this process);
«ТОО "Ромашка"» holds a posted year of «Стандарт» from 15.03.2027 to 14.03.2028.
The operator chooses «до окончания подписки на тариф» for two «Дополнительный
сеанс» from 03.08.2027: the page shows «по 14.03.2028», the breakdown «7 мес. +
12 дн.» and 44 400 ₸ (3 000 ₸ a month, 100 ₸ a day) before posting — all of it
the server's — and posting keeps that amount. Screenshots go to
test-output/screenshots/.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from subscriptions import clock
from subscriptions.models import ExtensionSubscription
from subscriptions.periods import Periodicity
from tests import factories
from tests.browser.conftest import PASSWORD, type_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SESSIONS = "Дополнительный сеанс"
LABEL = "до окончания подписки на тариф"


def money(amount) -> str:
    """«44 400 ₸» as the page writes it; Playwright's text matching treats NBSP as a space."""
    return f"{int(amount):,}".replace(",", " ") + " ₸"


@pytest.fixture
def march_2027():
    with clock.today_is(datetime.date(2027, 3, 20)):
        organization = factories.OrganizationFactory(name="Демо-партнер")
        operator = factories.UserFactory(username="operator", password=PASSWORD)
        factories.MembershipFactory(organization=organization, user=operator, role="operator")
        romashka = factories.SubscriberFactory(organization=organization, name='ТОО "Ромашка"')
        standard = factories.BaseTariffFactory(name="Стандарт", sessions=5, infobases=2)
        base = factories.SubscriptionFactory(
            subscriber=romashka,
            tariff=standard,
            period=factories.TariffPeriodFactory(tariff=standard, count=12, price=120000),
            starts_on=datetime.date(2027, 3, 15),
        )
        sessions = factories.ExtensionTariffFactory(name=SESSIONS, offered_for=[standard])
        for count, price in ((1, 3000), (12, 30000)):
            factories.TariffPeriodFactory(
                tariff=sessions, periodicity=Periodicity.MONTH, count=count, price=price
            )
        yield SimpleNamespace(base=base, sessions=sessions)


def test_an_extension_to_the_base_end_added_mid_term(page, screenshot, march_2027):
    data = march_2027
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + f"/subscriptions/{data.base.pk}/extensions/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подписка (создание)")

    page.get_by_label("Тариф").select_option(label=SESSIONS)
    type_date(page.get_by_label("Действует с"), datetime.date(2027, 8, 3))
    page.get_by_label("Количество расширений").fill("2")
    until = page.locator(f'select[name="period"] option[value="until:{data.sessions.pk}"]')
    expect(until).to_have_text(f"{LABEL} (по 14.03.2028) — 7 мес. + 12 дн., {money(22200)}")
    page.get_by_label("Период действия").select_option(value=f"until:{data.sessions.pk}")

    # Before posting: the end, the breakdown and the amount, all from the server.
    expect(page.locator("[data-ends-on]")).to_have_text("14.03.2028")
    expect(page.locator("[data-total]")).to_have_text(money(44400))
    expect(page.locator("[data-total-formula]")).to_have_text(
        f"7 мес. + 12 дн. по цене периода «1 месяц» {money(3000)} (день — 1/30 этой цены) = "
        f"{money(22200)} × 2"
    )
    expect(page.locator("[data-what-if] [data-proposed] text")).to_have_text(
        "новое расширение: Доп. сеанс × 2 · 03.08.2027 – 14.03.2028"
    )
    screenshot(page, "until-base-end-form")
    assert ExtensionSubscription.objects.count() == 0

    page.get_by_role("button", name="Провести и закрыть").click()

    created = ExtensionSubscription.objects.get()
    expect(page.locator(f"#extension-{created.pk}")).to_contain_text(LABEL)
    expect(page.locator(f"#extension-{created.pk}")).to_contain_text(money(44400))
    assert created.until_base_end and created.amount == Decimal("44400")
    screenshot(page, "until-base-end-posted")
