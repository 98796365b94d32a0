"""The service owner's admin reads correct Russian, shows money and days as the
service writes them, and names every section in Russian.

Django's admin puts a model's name, as it is, into its headings: «Выберите
подписка на тариф для изменения», «Добавить подписка на расширение тарифа»,
«Добавить еще один Подписка…», «5 тарифы». Every registered model declares
the accusative and the three plural forms of its name (common/admin_russian.py);
NAMES below is the proofread list of them, so a model registered without
Russian names fails here.
"""

import datetime
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from api.models import ApiToken
from billing.services import PriceChange, price_list_save, requisites_save
from cabinet.exports import start_export_job
from common.formatting import russian_plural
from subscriptions.models import ReminderSent, Status
from subscriptions.periods import Periodicity
from subscriptions.services import extension_post
from tests import factories

pytestmark = pytest.mark.django_db

# Model label: the name in the accusative («Выберите … для изменения», «Добавить …»)
# and for a count of one, two and five.
NAMES = {
    "auth.group": ("группу", ("группа", "группы", "групп")),
    "auth.user": ("пользователя", ("пользователь", "пользователя", "пользователей")),
    "axes.accessattempt": (
        "счетчик неудачных входов",
        ("счетчик неудачных входов", "счетчика неудачных входов", "счетчиков неудачных входов"),
    ),
    "axes.accessfailurelog": (
        "неудачный вход",
        ("неудачный вход", "неудачных входа", "неудачных входов"),
    ),
    "axes.accesslog": ("вход в систему", ("вход в систему", "входа в систему", "входов в систему")),
    "django_tasks_database.dbtaskresult": (
        "фоновую задачу",
        ("фоновая задача", "фоновые задачи", "фоновых задач"),
    ),
    "subscribers.serviceorganization": (
        "обслуживающую организацию",
        ("обслуживающая организация", "обслуживающие организации", "обслуживающих организаций"),
    ),
    "subscribers.membership": (
        "сотрудника партнера",
        ("сотрудник партнера", "сотрудника партнеров", "сотрудников партнеров"),
    ),
    "subscribers.subscriber": ("абонента", ("абонент", "абонента", "абонентов")),
    "subscriptions.tariff": ("тариф", ("тариф", "тарифа", "тарифов")),
    "subscriptions.tariffperiod": (
        "период действия",
        ("период действия", "периода действия", "периодов действия"),
    ),
    "subscriptions.numbersequence": (
        "нумератор документов",
        ("нумератор документов", "нумератора документов", "нумераторов документов"),
    ),
    "subscriptions.subscription": (
        "подписку на тариф",
        ("подписка на тариф", "подписки на тарифы", "подписок на тарифы"),
    ),
    "subscriptions.extensionsubscription": (
        "подписку на расширение тарифа",
        (
            "подписка на расширение тарифа",
            "подписки на расширение тарифа",
            "подписок на расширение тарифа",
        ),
    ),
    "subscriptions.remindersent": (
        "отправленное напоминание",
        ("отправленное напоминание", "отправленных напоминания", "отправленных напоминаний"),
    ),
    "api.apitoken": ("ключ API", ("ключ API", "ключа API", "ключей API")),
    "billing.organizationrequisites": (
        "реквизиты организации",
        ("организация с реквизитами", "организации с реквизитами", "организаций с реквизитами"),
    ),
    "billing.partnerprice": ("цену партнера", ("цена партнера", "цены партнеров", "цен партнеров")),
    "jobs.job": (
        "длительную операцию",
        ("длительная операция", "длительные операции", "длительных операций"),
    ),
}

# Complete requisites (billing.organizationrequisites' row).
BILLING_REQUISITES = {
    "legal_name": "ТОО «Демо-партнер»",
    "bin": "940440000128",
    "legal_address": "г. Алматы, пр. Абая, 10",
    "bank_name": "АО «Народный Банк Казахстана»",
    "bik": "HSBKKZKX",
    "iik": "KZ86125KZT5004100100",
    "kbe": "17",
    "director_name": "Ахметов А. А.",
}

# The inlines' «Добавить еще …», by the model of the page.
INLINE_ADD_TEXTS = {
    "subscriptions.subscription": ["Добавить еще подписку на расширение тарифа"],
    "subscriptions.tariff": ["Добавить еще период действия"],
    "subscribers.serviceorganization": ["Добавить еще сотрудника"],
}

DAY_PATTERN = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
LONG_DATE = re.compile(r"\d{1,2} [а-я]+ \d{4} г\.")


def _registered():
    return {
        model._meta.label_lower: (model, model_admin)
        for model, model_admin in admin.site._registry.items()
    }


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _text(html: str, tag: str = " ") -> str:
    """The page's text, tags replaced by `tag`; no-break spaces stay as they are."""
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", tag, html))).strip()


def _heading(page: str) -> str:
    """The page's <h1> (the site's name is not a heading)."""
    return _text(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1))


def _title(page: str) -> str:
    return _text(re.search(r"<title>(.*?)</title>", page, re.S).group(1))


def _add_button(page: str) -> str | None:
    match = re.search(r'<a href="[^"]*" class="addlink">(.*?)</a>', page, re.S)
    return _text(match.group(1)) if match else None


def _result_count(page: str) -> str:
    paginator = re.search(r'<p class="paginator">(.*?)</p>', page, re.S).group(1)
    paginator = re.sub(r"<a [^>]*>.*?</a>|<span [^>]*>.*?</span>", " ", paginator, flags=re.S)
    return _text(paginator)


def _inline_add_texts(page: str) -> list[str]:
    return [
        json.loads(unescape(data))["options"]["addText"]
        for data in re.findall(r'data-inline-formset="([^"]*)"', page)
    ]


def _breadcrumbs(page: str) -> str:
    return _text(re.search(r'<div class="breadcrumbs">(.*?)</div>', page, re.S).group(1))


def _counted(count: int, forms) -> str:
    return f"{count} {russian_plural(count, forms)}"


@pytest.fixture
def one_of_every_model(
    admin_user, organization, subscriber, base_tariff, session_tariff, today, settings
):
    """One row of every registered model (the superuser is the user).

    A task's row names its backend: the database one, as in production (the
    tests run tasks at once otherwise, test_settings.py).
    """
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today,
    )
    two_months = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.MONTH, count=2, price=7100
    )
    extension = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=two_months,
        starts_on=today,
        quantity=2,
        status=Status.DRAFT,
    )
    extension = extension_post(extension=extension, user=admin_user)  # keeps its price
    member = factories.MembershipFactory(organization=organization)
    now = timezone.now()
    axes_row = {
        "user_agent": "Mozilla/5.0",
        "ip_address": "10.0.0.7",
        "username": "operator",
        "http_accept": "text/html",
        "path_info": "/login/",
    }
    rows = {
        "auth.group": Group.objects.create(name="Бухгалтерия"),
        "auth.user": admin_user,
        "axes.accessattempt": AccessAttempt.objects.create(
            **axes_row, get_data="", post_data="", failures_since_start=2
        ),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**axes_row),
        "axes.accesslog": AccessLog.objects.create(**axes_row),
        "subscribers.serviceorganization": organization,
        "subscribers.membership": member,
        "subscribers.subscriber": subscriber,
        "subscriptions.tariff": base_tariff,
        "subscriptions.tariffperiod": two_months,
        "subscriptions.subscription": base,
        "subscriptions.extensionsubscription": extension,
        "subscriptions.remindersent": ReminderSent.objects.create(
            subscription=base, threshold_days=30, ends_on=base.ends_on, recipients="o@example.kz"
        ),
        "api.apitoken": ApiToken.issue(organization=organization, name="1С")[0],
        "billing.organizationrequisites": requisites_save(
            organization=organization, data=BILLING_REQUISITES, user=admin_user
        ),
        "billing.partnerprice": price_list_save(
            organization=organization,
            changes=[PriceChange(two_months, Decimal("7000"))],
            valid_from=today,
            user=admin_user,
        )[0],
        # A big download waiting for a worker (the database queue of this fixture).
        "jobs.job": start_export_job(
            organization=organization,
            user=admin_user,
            source="subscribers",
            fmt="xlsx",
            query={},
            today=today,
        ),
    }
    registered = _registered()
    rows["subscriptions.numbersequence"] = registered["subscriptions.numbersequence"][
        0
    ]._default_manager.first()
    if "django_tasks_database.dbtaskresult" in registered:
        task_result = registered["django_tasks_database.dbtaskresult"][0]
        rows["django_tasks_database.dbtaskresult"] = task_result.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="subscriptions.tasks.refresh_kept_limits",
            backend_name="default",
            run_after=now,
            exception_class_path="",
            traceback="",
        )
    return rows


def test_every_registered_model_declares_its_russian_names():
    registered = _registered()
    assert set(registered) == set(NAMES), "a model without Russian names (or a stale entry)"
    for label, (_model, model_admin) in registered.items():
        accusative, forms = NAMES[label]
        assert (model_admin.name_accusative, tuple(model_admin.plural_forms)) == (
            accusative,
            forms,
        ), label


@pytest.mark.parametrize("label", sorted(NAMES))
def test_list_add_and_change_pages_name_the_model_in_the_right_case(
    label, one_of_every_model, admin_user, logged_in
):
    client = logged_in(admin_user)
    model, model_admin = _registered()[label]
    accusative, forms = NAMES[label]
    nominative = str(model._meta.verbose_name)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    can_change = model_admin.has_change_permission(request)
    can_add = model_admin.has_add_permission(request)

    # Given one row of every model, when the list opens, then it says «Выберите <accusative>».
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    heading = f"Выберите {accusative} для {'изменения' if can_change else 'просмотра'}"
    assert _heading(page) == heading
    assert _title(page).startswith(heading)
    if accusative != nominative:
        assert f"Выберите {nominative} " not in _text(page)
    assert _result_count(page) == _counted(model._default_manager.count(), forms)
    assert _add_button(page) == (f"Добавить {accusative}" if can_add else None)

    # The add page and its breadcrumbs: «Добавить <accusative>»; inlines «Добавить еще …».
    if can_add:
        response = client.get(_url(model, "add"))
        assert response.status_code == 200
        page = response.content.decode()
        assert _heading(page) == f"Добавить {accusative}"
        assert _title(page).startswith(f"Добавить {accusative}")
        assert _breadcrumbs(page).endswith(f"› Добавить {accusative}")
        assert _inline_add_texts(page) == INLINE_ADD_TEXTS.get(label, [])

    # The change page: «Изменить <accusative>», or «Просмотреть …» when read-only.
    row = one_of_every_model[label]
    response = client.get(_url(model, "change", row.pk))
    assert response.status_code == 200
    page = response.content.decode()
    verb = "Изменить" if model_admin.has_change_permission(request, row) else "Просмотреть"
    assert _heading(page) == f"{verb} {accusative}"
    assert f"| {verb} {accusative} |" in _title(page)
    if can_change:
        assert _inline_add_texts(page) == INLINE_ADD_TEXTS.get(label, [])


@pytest.mark.parametrize("label", sorted(NAMES))
def test_counts_take_the_plural_form_of_one_two_or_five(label):
    model_admin = _registered()[label][1]
    one, few, many = NAMES[label][1]
    assert [model_admin.count_label(n) for n in (1, 2, 5, 11, 21, 104)] == [
        f"1 {one}",
        f"2 {few}",
        f"5 {many}",
        f"11 {many}",
        f"21 {one}",
        f"104 {few}",
    ]


def test_the_tariff_list_counts_1_tariff_2_tariffs_5_11_and_21(admin_user, logged_in):
    client = logged_in(admin_user)
    expected = {1: "1 тариф", 2: "2 тарифа", 5: "5 тарифов", 11: "11 тарифов", 21: "21 тариф"}
    made = 0
    for count, text in expected.items():
        while made < count:
            made += 1
            factories.BaseTariffFactory(name=f"Тариф {made:02d}")
        page = client.get(reverse("admin:subscriptions_tariff_changelist")).content.decode()
        assert _result_count(page) == text


def test_money_is_in_tenge_and_days_are_dd_mm_yyyy_in_lists_and_on_pages(
    one_of_every_model, admin_user, logged_in, today
):
    client = logged_in(admin_user)
    extension = one_of_every_model["subscriptions.extensionsubscription"]
    assert extension.amount == Decimal("14200")
    tenge = "14\u00a0200\u00a0₸"

    # The extensions' list: the amount and both days.
    page = _text(client.get(_url(extension, "changelist")).content.decode())
    assert tenge in page
    assert f"{extension.starts_on:%d.%m.%Y}" in page and f"{extension.ends_on:%d.%m.%Y}" in page
    assert "14200" not in page and not LONG_DATE.search(page)

    # Its page: the kept price and amount, the days, and when it was posted.
    page = _text(client.get(_url(extension, "change", extension.pk)).content.decode())
    assert "7\u00a0100\u00a0₸" in page and tenge in page
    assert f"{extension.ends_on:%d.%m.%Y}" in page
    posted_at = timezone.localtime(extension.posted_at)
    assert f"{posted_at:%d.%m.%Y %H:%M}" in page
    assert not LONG_DATE.search(page)

    # The base's page: the extension's row in the inline.
    base = extension.subscription
    page = _text(client.get(_url(base, "change", base.pk)).content.decode())
    assert tenge in page and f"{extension.ends_on:%d.%m.%Y}" in page
    assert not LONG_DATE.search(page)

    # The periods' prices; the subscriptions' and organizations' days and times.
    period = one_of_every_model["subscriptions.tariffperiod"]
    assert "7\u00a0100\u00a0₸" in _text(client.get(_url(period, "changelist")).content.decode())
    for model in (base, one_of_every_model["subscribers.serviceorganization"]):
        page = _text(client.get(_url(model, "changelist")).content.decode())
        assert DAY_PATTERN.search(page) and not LONG_DATE.search(page)


def test_the_cabinet_short_days_keep_their_format(today):
    """formats/ru changes the long formats only; the cabinet's SHORT_DATE_FORMAT stays."""
    from django.utils.formats import date_format, get_format

    assert get_format("SHORT_DATE_FORMAT", lang="ru") == "d.m.Y"
    assert get_format("DATE_FORMAT", lang="ru") == "d.m.Y"
    assert date_format(datetime.date(2027, 3, 31)) == "31.03.2027"


def test_every_section_of_the_index_is_named_in_russian(one_of_every_model, admin_user, logged_in):
    page = _text(logged_in(admin_user).get(reverse("admin:index")).content.decode())
    assert "Попытки входа" in page
    for english in ("Axes", "Access", "Task Result", "Tasks Database Backend"):
        assert english not in page
    if "django_tasks_database.dbtaskresult" in _registered():
        assert "Фоновые задачи" in page


def test_the_delete_question_names_the_object_in_the_accusative(
    organization, admin_user, logged_in
):
    client = logged_in(admin_user)
    subscriber = factories.SubscriberFactory(organization=organization, name="ИП Ли")
    page = _text(client.get(_url(subscriber, "delete", subscriber.pk)).content.decode())
    assert 'Вы уверены, что хотите удалить абонента "ИП Ли"?' in page

    # One that cannot go: «Нельзя удалить абонента», not «Не удается удалить абонент».
    factories.SubscriptionFactory(subscriber=subscriber)
    page = client.get(_url(subscriber, "delete", subscriber.pk)).content.decode()
    assert _heading(page) == "Нельзя удалить абонента"


def test_a_saved_object_is_announced_without_a_gender(admin_user, logged_in):
    client = logged_in(admin_user)
    response = client.post(
        reverse("admin:auth_group_add"), {"name": "Бухгалтерия", "_save": "1"}, follow=True
    )
    messages = [_text(str(message), tag="") for message in response.context["messages"]]
    assert messages == ["Добавлено: группа «Бухгалтерия»."]
    group = Group.objects.get(name="Бухгалтерия")
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Бухгалтерия и касса", "_save": "1"},
        follow=True,
    )
    assert [_text(str(m), tag="") for m in response.context["messages"]] == [
        "Сохранено: группа «Бухгалтерия и касса»."
    ]


def test_in_english_the_headings_are_djangos_own(one_of_every_model, admin_user, logged_in):
    client = logged_in(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    base = one_of_every_model["subscriptions.subscription"]
    inline = admin.site._registry[type(base)].inlines[0]
    with translation.override("en"):
        name, row_name = str(base._meta.verbose_name), str(inline.verbose_name)
    page = client.get(_url(base, "changelist")).content.decode()
    assert _heading(page) == f"Select {name} to change"
    assert _add_button(page) == f"Add {name}"
    page = client.get(_url(base, "change", base.pk)).content.decode()
    assert _heading(page) == f"Change {name}"
    assert _inline_add_texts(page) == [f"Add another {row_name[:1].upper()}{row_name[1:]}"]


def test_history_pages_read_russian(one_of_every_model, admin_user, logged_in):
    client = logged_in(admin_user)
    base = one_of_every_model["subscriptions.subscription"]
    page = _text(client.get(_url(base, "history", base.pk)).content.decode())
    for words in ("Объект", "Дата и время", "Действие", "Кто изменил", "Создание", "1 запись"):
        assert words in page
    record = base.history.order_by("history_id").first()
    page = client.get(
        reverse("admin:subscriptions_subscription_simple_history", args=[base.pk, record.pk])
    ).content.decode()
    assert _breadcrumbs(page).startswith("Начало › Подписки › Подписки на тарифы › ")
    assert _breadcrumbs(page).endswith("› История › Просмотр версии")
