"""The cabinet's «Ключи API» page (mounted at /api-tokens/ by the root urls)."""

from django.urls import path

from . import views_cabinet

urlpatterns = [
    path("", views_cabinet.token_list, name="api_tokens"),
    path("<int:pk>/revoke/", views_cabinet.token_revoke, name="api_token_revoke"),
]
