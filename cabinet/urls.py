"""Every URL of the partner's cabinet: its name, its view (in cabinet/views/) and,
through the view, its form (cabinet/forms/), template and service."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    api_tokens,
    auth,
    billing,
    bulk_renewal,
    documents,
    ending,
    grace,
    jobs,
    lists,
    preview,
    renewal,
    reports,
    subscribers,
)

urlpatterns = [
    # Вход → Личный кабинет
    path("login/", auth.CabinetLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", subscribers.home, name="home"),
    # Обслуживаемые абоненты → Абонент
    path("subscribers/", subscribers.subscriber_list, name="subscriber_list"),
    path("subscribers/export/", subscribers.subscriber_list_export, name="subscriber_list_export"),
    path("subscribers/<int:pk>/", subscribers.subscriber_detail, name="subscriber_detail"),
    # Подписки обслуживаемых абонентов
    path("subscriptions/", lists.subscription_list, name="subscription_list"),
    path(
        "subscriptions/export/",
        lists.subscription_list_export,
        name="subscription_list_export",
    ),
    # Окно «Подписка» абонента и новая подписка на тариф
    path(
        "subscribers/<int:pk>/subscriptions/",
        documents.subscriber_subscriptions,
        name="subscriber_subscriptions",
    ),
    path(
        "subscribers/<int:pk>/subscriptions/export/",
        documents.subscriber_subscriptions_export,
        name="subscriber_subscriptions_export",
    ),
    path(
        "subscribers/<int:pk>/subscriptions/new/",
        documents.subscription_create,
        name="subscription_create",
    ),
    path(
        "subscribers/<int:pk>/subscriptions/preview/",
        preview.subscription_preview,
        name="subscription_preview",
    ),
    # Подписка на тариф
    path("subscriptions/<int:pk>/", documents.subscription_detail, name="subscription_detail"),
    path("subscriptions/<int:pk>/edit/", documents.subscription_edit, name="subscription_edit"),
    path("subscriptions/<int:pk>/post/", documents.subscription_post, name="subscription_post"),
    path(
        "subscriptions/<int:pk>/unpost/", documents.subscription_unpost, name="subscription_unpost"
    ),
    path(
        "subscriptions/<int:pk>/delete/", documents.subscription_delete, name="subscription_delete"
    ),
    path("subscriptions/<int:pk>/renew/", renewal.subscription_renew, name="subscription_renew"),
    # Продление за месяц: the month's bases, renewed in bulk; a batch's progress and outcome
    path("renewal/month/", bulk_renewal.bulk_renewal, name="bulk_renewal"),
    path(
        "renewal/month/batches/<int:pk>/",
        bulk_renewal.bulk_renewal_batch,
        name="bulk_renewal_batch",
    ),
    path(
        "renewal/month/batches/<int:pk>/export/",
        bulk_renewal.bulk_renewal_batch_export,
        name="bulk_renewal_batch_export",
    ),
    path("subscriptions/<int:pk>/grace/", grace.grace_create, name="grace_create"),
    path(
        "subscriptions/<int:pk>/end-early/",
        ending.subscription_end_early,
        name="subscription_end_early",
    ),
    # Подписка на расширение тарифа
    path(
        "subscriptions/<int:pk>/extensions/new/",
        documents.extension_create,
        name="extension_create",
    ),
    path(
        "subscriptions/<int:pk>/extensions/preview/",
        preview.extension_preview,
        name="extension_preview",
    ),
    path("extensions/<int:pk>/", documents.extension_detail, name="extension_detail"),
    path("extensions/<int:pk>/edit/", documents.extension_edit, name="extension_edit"),
    path("extensions/<int:pk>/post/", documents.extension_post, name="extension_post"),
    path("extensions/<int:pk>/unpost/", documents.extension_unpost, name="extension_unpost"),
    path("extensions/<int:pk>/delete/", documents.extension_delete, name="extension_delete"),
    path("extensions/<int:pk>/end-early/", ending.extension_end_early, name="extension_end_early"),
    path(
        "extensions/<int:pk>/change-quantity/",
        ending.extension_change_quantity,
        name="extension_change_quantity",
    ),
    # Отчет «Расширения по месяцам»
    path(
        "reports/extensions-by-month/",
        reports.report_extensions_by_month,
        name="report_extensions_by_month",
    ),
    path(
        "reports/extensions-by-month/export/",
        reports.report_extensions_by_month_export,
        name="report_extensions_by_month_export",
    ),
    # Большие выгрузки и другие длительные операции: страница с ходом, файл, «Мои файлы»
    path("jobs/", jobs.job_list, name="job_list"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/status/", jobs.job_status, name="job_status"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="job_download"),
    # Ключи API (the JSON API itself is api/)
    path("api-tokens/", api_tokens.token_list, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_tokens.token_revoke, name="api_token_revoke"),
    # Счета и цены: реквизиты организации, прайс-лист, данные абонента для счетов
    path("billing/requisites/", billing.requisites, name="requisites"),
    path("billing/prices/", billing.price_list_page, name="price_list"),
    path(
        "subscribers/<int:pk>/invoice-details/",
        billing.subscriber_invoice_details,
        name="subscriber_invoice_details",
    ),
]
