from django.contrib import admin
from django.urls import include, path

from cabinet.views import language
from ops import views as ops_views

admin.site.site_header = "Fresh Cabinet — администрирование сервиса"
admin.site.site_title = "Fresh Cabinet"
admin.site.index_title = "Управление сервисом"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", ops_views.health, name="health"),
    # Django's set_language, which also keeps a signed-in user's choice for their mails.
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("", include("cabinet.urls")),
    path("api/", include("api.urls")),
]

handler400 = "ops.views.bad_request"
handler403 = "ops.views.permission_denied"
handler404 = "ops.views.page_not_found"
handler500 = "ops.views.server_error"
