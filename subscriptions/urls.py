from django.urls import path

from . import list_views, renewal_views, report_views, views

urlpatterns = [
    # Подписки обслуживаемых абонентов
    path("subscriptions/", list_views.subscription_list, name="subscription_list"),
    path(
        "subscriptions/export/",
        list_views.subscription_list_export,
        name="subscription_list_export",
    ),
    # Окно «Подписка» абонента и новая подписка на тариф
    path(
        "subscribers/<int:pk>/subscriptions/",
        views.subscriber_subscriptions,
        name="subscriber_subscriptions",
    ),
    path(
        "subscribers/<int:pk>/subscriptions/export/",
        views.subscriber_subscriptions_export,
        name="subscriber_subscriptions_export",
    ),
    path(
        "subscribers/<int:pk>/subscriptions/new/",
        views.subscription_create,
        name="subscription_create",
    ),
    # Подписка на тариф
    path("subscriptions/<int:pk>/", views.subscription_detail, name="subscription_detail"),
    path("subscriptions/<int:pk>/edit/", views.subscription_edit, name="subscription_edit"),
    path("subscriptions/<int:pk>/post/", views.subscription_post, name="subscription_post"),
    path("subscriptions/<int:pk>/unpost/", views.subscription_unpost, name="subscription_unpost"),
    path("subscriptions/<int:pk>/delete/", views.subscription_delete, name="subscription_delete"),
    path(
        "subscriptions/<int:pk>/renew/",
        renewal_views.subscription_renew,
        name="subscription_renew",
    ),
    # Подписка на расширение тарифа
    path(
        "subscriptions/<int:pk>/extensions/new/",
        views.extension_create,
        name="extension_create",
    ),
    path("extensions/<int:pk>/", views.extension_detail, name="extension_detail"),
    path("extensions/<int:pk>/edit/", views.extension_edit, name="extension_edit"),
    path("extensions/<int:pk>/post/", views.extension_post, name="extension_post"),
    path("extensions/<int:pk>/unpost/", views.extension_unpost, name="extension_unpost"),
    path("extensions/<int:pk>/delete/", views.extension_delete, name="extension_delete"),
    # Отчет «Расширения по месяцам»
    path(
        "reports/extensions-by-month/",
        report_views.report_extensions_by_month,
        name="report_extensions_by_month",
    ),
    path(
        "reports/extensions-by-month/export/",
        report_views.report_extensions_by_month_export,
        name="report_extensions_by_month_export",
    ),
]
