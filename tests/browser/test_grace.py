"""The grace «Продлевающая подписка» (R13, «обещанный платеж»), in Chromium.

«Today» is 10.06.2027 on the one clock (the live server runs in this process).
«ТОО "Ромашка"» holds a posted quarter of «Стандарт», 01.03–31.05.2027 (the
tariff's defaults: up to 7 days, recorded within 30 days after the end, free);
«ИП Василек» a posted month of «Стандарт», 01.04–30.04.2027, whose 30 days
have passed. The operator opens Ромашка's ended base, asks for 10 days (refused
next to «Дней»: at most 7), records 5, finds the grace in the subscriber's
«Подписка» window as «Продлевающая» 10.06–14.06.2027, and sees the button gone
from the base (once per base) and from Василек's (too late), each with the
reason. Screenshots go to test-output/screenshots/.
"""

import datetime
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from common.formatting import fmt
from subscriptions import clock, rules
from subscriptions.models import Subscription
from tests import factories
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date(2027, 6, 10)
BUTTON = "Продлевающая подписка"


@pytest.fixture
def june_2027():
    with clock.today_is(TODAY):
        organization = factories.OrganizationFactory(name="Демо-партнер")
        operator = factories.UserFactory(username="operator", password=PASSWORD)
        factories.MembershipFactory(organization=organization, user=operator, role="operator")
        standard = factories.BaseTariffFactory(name="Стандарт", sessions=5, infobases=2)
        quarter = factories.TariffPeriodFactory(tariff=standard, count=3, price=34000)
        month = factories.TariffPeriodFactory(tariff=standard, count=1, price=12000)
        romashka = factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization, name='ТОО "Ромашка"'),
            tariff=standard,
            period=quarter,
            starts_on=datetime.date(2027, 3, 1),
        )
        vasilek = factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization, name="ИП Василек"),
            tariff=standard,
            period=month,
            starts_on=datetime.date(2027, 4, 1),
        )
        yield SimpleNamespace(romashka=romashka, vasilek=vasilek)


def log_in(page):
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")


def test_record_a_grace_subscription_and_see_where_it_is_refused(page, screenshot, june_2027):
    data = june_2027
    base = data.romashka
    assert (base.ends_on, data.vasilek.ends_on) == (
        datetime.date(2027, 5, 31),
        datetime.date(2027, 4, 30),
    )
    log_in(page)

    # An ended posted base within its window: the card offers the grace subscription.
    page.goto(page.live_server_url + f"/subscriptions/{base.pk}/")
    button = page.get_by_role("link", name=BUTTON, exact=True)
    expect(button).to_be_visible()
    screenshot(page, "ended-base-card")
    button.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(BUTTON)
    expect(page.get_by_label("Дней")).to_have_value("7")  # the tariff's grace days
    screenshot(page, "grace-form")

    # Too many days: refused by the rule, the message next to «Дней», nothing recorded.
    page.get_by_label("Дней").fill("10")
    page.get_by_role("button", name="Провести и закрыть").click()
    expect(page.locator("#id_days_errors")).to_have_text(
        "Продлевающая подписка по этому тарифу длится самое большее 7 дней: укажите от 1 до 7."
    )
    expect(page.get_by_label("Дней")).to_have_value("10")
    assert not Subscription.objects.filter(kind=Subscription.Kind.GRACE).exists()
    screenshot(page, "too-many-days-refused")

    page.get_by_label("Дней").fill("5")
    page.get_by_role("button", name="Провести и закрыть").click()

    grace = Subscription.objects.get(kind=Subscription.Kind.GRACE, renews=base)
    page.wait_for_url(page.live_server_url + f"/subscriptions/{grace.pk}/")
    expect(page.get_by_role("status")).to_contain_text(
        f"Проведена продлевающая подписка № {grace.number}, с 10.06.2027 по 14.06.2027."
    )
    assert (grace.starts_on, grace.ends_on, grace.is_posted) == (
        TODAY,
        datetime.date(2027, 6, 14),
        True,
    )
    screenshot(page, "grace-card")

    # The subscriber's «Подписка» window: the grace row, its type and its dates.
    page.goto(page.live_server_url + f"/subscribers/{base.subscriber_id}/")
    page.get_by_role("link", name="Подписки на тарифы").click()
    row = page.locator("tbody tr", has_text=grace.number)
    expect(row).to_contain_text(f"Продлевающая к подписке № {base.number}")
    expect(row.locator("td").nth(4)).to_have_text("10.06.2027")
    expect(row.locator("td").nth(5)).to_have_text("14.06.2027")
    base_row = page.locator(f'tbody tr[data-href="/subscriptions/{base.pk}/"]')
    expect(base_row.locator("td").nth(1)).to_have_text("Основная")
    screenshot(page, "subscription-window")

    # Once per base: the button is gone from the base's card, and the card says why.
    page.goto(page.live_server_url + f"/subscriptions/{base.pk}/")
    expect(page.get_by_role("link", name=BUTTON, exact=True)).to_have_count(0)
    expect(
        page.get_by_role("note").filter(has_text=f"Кнопка «{BUTTON}» недоступна")
    ).to_contain_text(
        f"Кнопка «{BUTTON}» недоступна. К подписке № {base.number} уже оформлена "
        f"продлевающая подписка № {grace.number}"
    )
    screenshot(page, "base-card-grace-used")

    # A base whose window has passed: no button, and the reason.
    vasilek = data.vasilek
    last_day = rules.grace_last_recording_day(vasilek.ends_on, vasilek.tariff.grace_window_days)
    page.goto(page.live_server_url + f"/subscriptions/{vasilek.pk}/")
    expect(page.get_by_role("link", name=BUTTON, exact=True)).to_have_count(0)
    expect(
        page.get_by_role("note").filter(has_text=f"Кнопка «{BUTTON}» недоступна")
    ).to_contain_text(
        f"Подписка № {vasilek.number} закончилась 30.04.2027, а продлевающую подписку "
        f"оформляют не позже {fmt(last_day)}."
    )
    screenshot(page, "window-passed")
