"""The extension form's live preview in real Chromium: everything it shows is the server's.

«Today» is 20.01.2028 on the one clock (the live server runs in this process);
«ТОО "Ромашка"» holds a posted year of «Стандарт» (5 sessions) from 15.01.2028
to 14.01.2029. The operator types a start of 31 January: a month from it ends
on 28.02.2028 (31.01 + 1 month is 29.02.2028 in a leap year, and «по» is the
day before); a year from it would end on 30.01.2029, after the base, so the
year is unavailable. The what-if timeline shows the new extension as it would
be, and a screenshot of it goes to test-output/screenshots/.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Subscription
from subscriptions.periods import Periodicity
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-123"
SESSIONS = "Дополнительный сеанс"
TODAY = datetime.date(2028, 1, 20)


def money(amount) -> str:
    """«5 000 ₸» as the page writes it; Playwright's text matching treats NBSP as a space."""
    return f"{int(amount):,}".replace(",", " ") + " ₸"


@pytest.fixture
def january_2028():
    """The operator of «Демо-партнер», «ТОО "Ромашка"» and its base year from 15.01.2028."""
    with clock.today_is(TODAY):
        organization = factories.OrganizationFactory(name="Демо-партнер")
        operator = factories.UserFactory(username="operator", password=PASSWORD)
        factories.MembershipFactory(organization=organization, user=operator, role="operator")
        romashka = factories.SubscriberFactory(organization=organization, name='ТОО "Ромашка"')
        standard = factories.BaseTariffFactory(name="Стандарт", sessions=5, infobases=2)
        base = factories.SubscriptionFactory(
            subscriber=romashka,
            tariff=standard,
            period=factories.TariffPeriodFactory(tariff=standard, count=12, price=120000),
            starts_on=datetime.date(2028, 1, 15),
        )
        sessions = factories.ExtensionTariffFactory(name=SESSIONS, offered_for=[standard])
        month = factories.TariffPeriodFactory(
            tariff=sessions, periodicity=Periodicity.MONTH, count=1, price=2500
        )
        year = factories.TariffPeriodFactory(
            tariff=sessions, periodicity=Periodicity.MONTH, count=12, price=25000
        )
        base_month = factories.TariffPeriodFactory(tariff=standard, count=1, price=12000)
        yield SimpleNamespace(
            romashka=romashka, base=base, month=month, year=year, base_month=base_month
        )


def log_in(page):
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")


def open_extension_form(page, base):
    log_in(page)
    page.goto(page.live_server_url + f"/subscriptions/{base.pk}/extensions/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подписка (создание)")


def type_start(page, text):
    start = page.get_by_label("Действует с")
    start.fill(text)
    start.press("Escape")  # close the calendar, if the date control opened one


def form_row(page, label):
    return page.locator(".form-row").filter(has=page.get_by_label(label))


def test_live_preview_clamps_31_january_refuses_a_period_outrunning_the_base_and_draws_the_what_if(
    page, screenshot, january_2028
):
    data = january_2028
    open_extension_form(page, data.base)
    # The script asks the server as the operator types: no «Пересчитать» needed.
    expect(page.get_by_role("button", name="Пересчитать")).to_be_hidden()
    what_if = page.locator("[data-what-if]")
    expect(what_if.locator("[data-proposed]")).to_have_count(0)

    # A month from 31 January: «по» is clamped to February's end, the day before.
    page.get_by_label("Тариф").select_option(label=SESSIONS)
    type_start(page, "31.01.2028")
    page.get_by_label("Период действия").select_option(value=str(data.month.pk))
    page.get_by_label("Количество расширений").fill("2")
    expect(page.locator("[data-ends-on]")).to_have_text("28.02.2028")
    expect(page.locator("[data-total]")).to_have_text(money(5000))
    expect(page.locator("[data-total-formula]")).to_have_text(f"{money(2500)} × 2")
    expect(page.locator("[data-alignment-note]")).to_contain_text(
        "Дата начала не совпадает с числом начала подписки (15-е число"
    )

    # The what-if: the new extension on the base's timeline, and the limits with it.
    proposed = what_if.locator("[data-proposed]")
    expect(proposed).to_have_count(1)
    expect(proposed.locator("text")).to_have_text(
        "новое расширение: Доп. сеанс × 2 · 31.01.2028 – 28.02.2028"
    )
    expect(what_if.locator(".what-if__limits")).to_have_text(
        re.compile(r"на 31\.01\.2028 у абонента будет 7 сеансов и 2 информационные базы")
    )
    # Told apart in the legend, and named in the picture's text for screen readers.
    expect(what_if.get_by_text("Новое расширение (еще не записано)", exact=True)).to_be_visible()
    expect(what_if.get_by_role("img")).to_have_accessible_name(
        re.compile(r"Новое расширение \(еще не записано\): Дополнительный сеанс × 2 с 31\.01\.2028")
    )
    what_if.scroll_into_view_if_needed()
    screenshot(page, "what-if")

    # From 31 January a year ends on 30.01.2029, after the base (14.01.2029): unavailable.
    year_option = page.locator(f'select[name="period"] option[value="{data.year.pk}"]')
    reason = "недоступно: закончится 30.01.2029, позже окончания подписки 14.01.2029"
    expect(year_option).to_contain_text(reason)
    expect(year_option).to_be_disabled()

    # Chosen while it fits (from the base's first day), then the start moves past it.
    type_start(page, "15.01.2028")
    expect(year_option).not_to_contain_text("недоступно")
    expect(year_option).to_be_enabled()
    page.get_by_label("Период действия").select_option(value=str(data.year.pk))
    expect(page.locator("[data-ends-on]")).to_have_text("14.01.2029")
    type_start(page, "31.01.2028")
    expect(page.locator("[data-ends-on]")).to_have_text("30.01.2029")
    expect(year_option).to_contain_text(reason)
    expect(form_row(page, "Период действия").locator(".field-error")).to_contain_text(
        "Расширение действовало бы по 30.01.2029, а подписка на тариф — только по 14.01.2029."
    )
    expect(what_if.locator("[data-proposed] rect.is-outside")).to_have_count(1)
    screenshot(page, "what-if-outruns-the-base")

    assert ExtensionSubscription.objects.count() == 0  # a preview writes nothing


def test_the_base_subscription_forms_live_end_and_refusal_come_from_the_server(page, january_2028):
    data = january_2028
    log_in(page)
    page.goto(page.live_server_url + f"/subscribers/{data.romashka.pk}/subscriptions/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подписка на тариф (создание)")
    expect(page.get_by_role("button", name="Пересчитать")).to_be_hidden()

    page.get_by_label("Тариф").select_option(label="Стандарт")
    page.get_by_label("Период действия").select_option(value=str(data.base_month.pk))
    type_start(page, "31.01.2028")

    expect(page.locator("[data-ends-on]")).to_have_text("28.02.2028")
    # Posting it would overlap the posted year (R11): said next to the start, before posting.
    expect(form_row(page, "Действует с").locator(".field-error")).to_contain_text(
        "У абонента уже есть проведенная подписка на тариф «Стандарт»"
    )
    assert Subscription.objects.count() == 1  # only the posted year: a preview writes nothing


def test_without_javascript_recalculate_shows_the_servers_preview(
    browser, live_server, screenshot, january_2028
):
    data = january_2028
    context = browser.new_context(
        java_script_enabled=False,
        locale="ru-RU",
        timezone_id="Asia/Almaty",
        viewport={"width": 1366, "height": 860},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.live_server_url = live_server.url
    try:
        open_extension_form(page, data.base)
        page.get_by_label("Тариф").select_option(label=SESSIONS)
        page.get_by_label("Период действия").select_option(value=str(data.month.pk))
        page.get_by_label("Действует с").fill("31.01.2028")
        page.get_by_label("Количество расширений").fill("3")

        page.get_by_role("button", name="Пересчитать").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Подписка (создание)")
        expect(page.locator("[data-ends-on]")).to_have_text("28.02.2028")
        expect(page.locator("[data-total]")).to_have_text(money(7500))
        expect(page.locator("[data-what-if] [data-proposed] text")).to_have_text(
            "новое расширение: Доп. сеанс × 3 · 31.01.2028 – 28.02.2028"
        )
        expect(page.get_by_label("Количество расширений")).to_have_value("3")
        screenshot(page, "what-if-without-javascript")
        assert ExtensionSubscription.objects.count() == 0
    finally:
        context.close()
