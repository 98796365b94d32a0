"""App configurations for the service owner's admin (listed in INSTALLED_APPS).

- `ServiceAdminConfig`: django.contrib.admin with `ServiceAdminSite` as the
  default site, so every registered model reads Russian (common/admin_russian.py).
- `LoginAttemptsConfig`, `BackgroundTasksConfig`: django-axes and the
  django-tasks database backend under Russian section names in the admin's index,
  sidebar and breadcrumbs («Axes» and «Tasks Database Backend» otherwise) —
  Django's documented way to rename another app.

Nothing here imports the admin: these classes are read while the apps load.
"""

from axes.apps import AppConfig as AxesConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class ServiceAdminConfig(AdminConfig):
    default_site = "common.admin_russian.ServiceAdminSite"


class LoginAttemptsConfig(AxesConfig):
    verbose_name = _("Попытки входа")


class BackgroundTasksConfig(TasksAppConfig):
    verbose_name = _("Фоновые задачи")
