from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Fresh Cabinet — администрирование сервиса"
admin.site.site_title = "Fresh Cabinet"
admin.site.index_title = "Управление сервисом"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("subscribers.urls")),
    path("", include("subscriptions.urls")),
]
