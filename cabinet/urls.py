"""Every URL of the partner's cabinet: its name, its view (in cabinet/views/) and,
through the view, its form (cabinet/forms/), template and service."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import api_tokens, auth, documents, lists, preview, renewal, reports, subscribers

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
    # Ключи API (the JSON API itself is api/)
    path("api-tokens/", api_tokens.token_list, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_tokens.token_revoke, name="api_token_revoke"),
]
