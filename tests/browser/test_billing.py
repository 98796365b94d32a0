"""The owner fills «Реквизиты» and sets a price in «Прайс-лист» in Chromium, with the
screen's labels; a posting afterwards keeps both prices. Screenshots of each screen."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import OrganizationRequisites, PartnerPrice
from subscriptions import services
from subscriptions.models import ExtensionSubscription
from tests import factories
from tests.browser.conftest import PASSWORD, date_text, type_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


def test_the_owner_fills_the_requisites_and_sets_a_price(
    page, live_server, one_base, screenshot, today
):
    organization = one_base.romashka.organization
    owner = factories.UserFactory(username="owner", password=PASSWORD)
    factories.MembershipFactory(organization=organization, user=owner, role="owner")
    base_url = live_server.url

    page.goto(base_url + "/login/")
    page.get_by_label("Логин").fill("owner")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(base_url + "/")

    # «Реквизиты» from «Личный кабинет»: a typo in the ИИК is refused next to its field.
    page.get_by_role("main").get_by_role("link", name="Реквизиты").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Реквизиты")
    page.get_by_label("Полное наименование").fill("ТОО «Демо-партнер»")
    page.get_by_label("БИН/ИИН").fill("940440000128")
    page.get_by_label("Юридический адрес").fill("г. Алматы, пр. Абая, 10")
    page.locator("#id_bank_name").fill("АО «Народный Банк Казахстана»")
    page.get_by_label("БИК").fill("hsbk kz kx")
    page.get_by_label("ИИК").fill("KZ87 125K ZT50 0410 0100")
    page.get_by_label("КБе").fill("17")
    page.get_by_label("Руководитель").fill("Ахметов А. А.")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#id_iik_errors")).to_contain_text("не проходит проверку контрольных цифр")
    screenshot(page, "requisites-refused")
    page.get_by_label("ИИК").fill("KZ86 125K ZT50 0410 0100")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_contain_text("Реквизиты сохранены.")
    expect(page.get_by_label("ИИК")).to_have_value("KZ86125KZT5004100100")
    screenshot(page, "requisites-saved")
    assert OrganizationRequisites.objects.get().bik == "HSBKKZKX"

    # «Прайс-лист»: 2 800 ₸ for «Дополнительный сеанс», 1 месяц, from today.
    page.get_by_role("main").get_by_role("link", name="Прайс-лист").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Прайс-лист")
    page.get_by_label("Новая цена: Дополнительный сеанс, 1 месяц").fill("2 800")
    type_date(page.get_by_label("Действует с"), today)
    page.get_by_role("button", name="Сохранить цены").click()
    expect(page.get_by_role("status")).to_contain_text("Цены сохранены.")
    row = page.locator("table.price-list tbody tr").filter(has_text="Дополнительный сеанс")
    expect(row).to_contain_text("2\u00a0800\u00a0₸")
    expect(row).to_contain_text(date_text(today))
    screenshot(page, "price-list")
    assert PartnerPrice.objects.get().price == Decimal("2800")

    # Posting now keeps both prices.
    extension = services.extension_save(
        extension=ExtensionSubscription(
            subscription=one_base.base,
            tariff=one_base.month_of_sessions.tariff,
            period=one_base.month_of_sessions,
            starts_on=today,
            quantity=2,
        ),
        user=owner,
        post=True,
    )
    page.goto(f"{base_url}/extensions/{extension.pk}/")
    expect(page.get_by_text("Сумма по цене партнера")).to_be_visible()
    expect(page.locator("dd").filter(has_text="5\u00a0600\u00a0₸").first).to_be_visible()
    screenshot(page, "extension-card-both-prices")
