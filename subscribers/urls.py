from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.CabinetLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("subscribers/", views.subscriber_list, name="subscriber_list"),
    path("subscribers/export/", views.subscriber_list_export, name="subscriber_list_export"),
    path("subscribers/<int:pk>/", views.subscriber_detail, name="subscriber_detail"),
]
