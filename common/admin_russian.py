"""The service owner's admin in correct Russian: the cases and plurals of a model's name.

Django's admin builds its headings from a model's name in the nominative:
«Выберите подписка на тариф для изменения», «Добавить подписка…», «5 тарифы».
Russian needs the accusative there («Выберите подписку на тариф…», «Добавить
подписку…») and three forms for a count («1 тариф, 2 тарифа, 5 тарифов»).

Every ModelAdmin declares them once (`RussianNamesMixin`: `name_accusative`,
`plural_forms`; an inline declares its `name_accusative`), and the mixin puts
them into the list's and the form's headings, the «Добавить …» button, the
result count, the inline's «Добавить еще …» and the delete question. The
admins of other apps (auth, django-axes, django-tasks) get theirs from
`THIRD_PARTY_NAMES` when they register on `ServiceAdminSite`. In Kazakh and
English the admin is Django's own.

Django's messages that put a name into a fixed sentence («{name} был успешно
добавлен» whatever the name's gender) are phrased without a case or a gender
in locale/ru/LC_MESSAGES/django.po, which also translates the other apps'
English strings.
"""

import functools
import json

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models.base import ModelBase
from django.utils.translation import get_language, gettext, npgettext
from django.utils.translation import gettext_lazy as _

from common.formatting import format_tenge, plural_word, russian_plural


def russian_is_active() -> bool:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0] == "ru"


def tenge_display(field_name: str, description):
    """A read-only column or field showing a money field as «14 200 ₸».

    Django shows a DecimalField as «14200,00»; use it as
    `amount_tenge = tenge_display("amount", _("сумма"))` in a ModelAdmin or an
    inline, and name `amount_tenge` in list_display / readonly_fields.
    """

    @admin.display(description=description, ordering=field_name)
    def display(model_admin, obj):
        return format_tenge(getattr(obj, field_name))

    display.__name__ = f"{field_name}_tenge"
    return display


class RussianInlineAdminFormSet(helpers.InlineAdminFormSet):
    """An inline whose «Добавить еще …» link names the row in the accusative."""

    add_text = ""

    def inline_formset_data(self):
        data = json.loads(super().inline_formset_data())
        data["options"]["addText"] = self.add_text
        return json.dumps(data)


class RussianChangeListMixin:
    """The change list's heading, add button and result count in Russian."""

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.title = self.model_admin.russian_heading(self.title)

    @property
    def add_label(self) -> str:
        return self.model_admin.add_label()

    @property
    def result_count_label(self) -> str:
        return self.model_admin.count_label(self.result_count)


@functools.cache
def _russian_changelist(changelist):
    if issubclass(changelist, RussianChangeListMixin):
        return changelist
    return type(f"Russian{changelist.__name__}", (RussianChangeListMixin, changelist), {})


class RussianNamesMixin:
    """A ModelAdmin whose headings decline its model's name.

    `name_accusative`: «подписку на тариф» (Выберите … для изменения / Добавить …).
    `plural_forms`: one, few, many — («тариф», «тарифа», «тарифов»).
    """

    name_accusative = ""
    plural_forms: tuple[str, str, str] = ()

    # Django's headings (its own msgids) with the name in the nominative, and the
    # same in Russian with the accusative.
    ADD = "Add %s"
    HEADINGS = (
        ("Select %s to change", "Выберите {} для изменения"),
        ("Select %s to view", "Выберите {} для просмотра"),
        ("Select %s", "Выберите {}"),
        (ADD, "Добавить {}"),
        ("Change %s", "Изменить {}"),
        ("View %s", "Просмотреть {}"),
    )

    def russian_heading(self, heading: str) -> str:
        """Django's own heading for this model, with the name in the accusative in Russian.

        A heading some admin made up itself is kept as it is.
        """
        if not (russian_is_active() and self.name_accusative):
            return heading
        name = self.opts.verbose_name
        for django_heading, russian in self.HEADINGS:
            if heading == gettext(django_heading) % name:
                return russian.format(self.name_accusative)
        return heading

    def add_label(self) -> str:
        """«Добавить подписку на тариф»: the add button and the add page's breadcrumb."""
        return self.russian_heading(gettext(self.ADD) % self.opts.verbose_name)

    def count_label(self, count: int) -> str:
        """«47 подписок на тарифы» in Russian; Django's «47 subscriptions» otherwise."""
        opts = self.opts
        if russian_is_active() and self.plural_forms:
            return f"{count} {russian_plural(count, self.plural_forms)}"
        return f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}"

    def get_changelist(self, request, **kwargs):
        return _russian_changelist(super().get_changelist(request, **kwargs))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["title"] = self.russian_heading(context["title"])
        if add:
            context["add_label"] = self.add_label()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request, context):
        if russian_is_active() and self.name_accusative:
            # «Вы уверены, что хотите удалить подписку на тариф …?»
            if context["perms_lacking"] or context["protected"]:
                context["title"] = f"Нельзя удалить {self.name_accusative}"
            context["object_name"] = self.name_accusative
        return super().render_delete_form(request, context)

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        if not russian_is_active():
            return inline_formsets
        for inline_formset in inline_formsets:
            accusative = self._inline_accusative(inline_formset.opts)
            if accusative and type(inline_formset) is helpers.InlineAdminFormSet:
                # Django builds «Добавить еще один <Nominative>» inside this object;
                # the same object, with the add text in the accusative.
                inline_formset.__class__ = RussianInlineAdminFormSet
                inline_formset.add_text = f"Добавить еще {accusative}"
        return inline_formsets

    def _inline_accusative(self, inline) -> str:
        """The inline's own accusative, else its model's admin's when it keeps the model's name."""
        if getattr(inline, "name_accusative", ""):
            return inline.name_accusative
        model_admin = self.admin_site._registry.get(inline.model)
        if model_admin is not None and str(inline.verbose_name) == str(
            inline.model._meta.verbose_name
        ):
            return getattr(model_admin, "name_accusative", "")
        return ""


# --- Other apps' admins ---------------------------------------------------------


def _axes_status(model_admin, obj):
    """«осталось 3 попытки» / «вход заблокирован» (django-axes says «3 Attempt Remaining»)."""
    from axes.conf import settings as axes_settings

    remaining = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
    if remaining <= 0:
        return gettext("вход заблокирован")
    word = plural_word(
        remaining,
        ("попытка", "попытки", "попыток"),
        npgettext("remaining", "попытка", "попыток", remaining),
    )
    return gettext("осталось %(count)s %(word)s") % {"count": remaining, "word": word}


_axes_status.short_description = _("до блокировки")


def _axes_expiration(model_admin, obj):
    expiration = getattr(obj, "expiration", None)
    if expiration is None:
        return model_admin.get_empty_value_display()
    return expiration.expires_at


_axes_expiration.short_description = _("действует до")


def _task_name(model_admin, obj):
    return obj.task_name


_task_name.short_description = _("задача")


class Relabel:
    """The other app's own display method, under a translated column title."""

    def __init__(self, description):
        self.description = description

    def method(self, admin_class, name):
        original = getattr(admin_class, name)

        def display(model_admin, obj):
            return original(model_admin, obj)

        display.short_description = self.description
        return display


# Model label → the names of RussianNamesMixin, and `columns`: the other app's
# columns that have no Russian title (a display method, or Relabel).
THIRD_PARTY_NAMES = {
    "auth.user": {
        "name_accusative": "пользователя",
        "plural_forms": ("пользователь", "пользователя", "пользователей"),
    },
    "auth.group": {
        "name_accusative": "группу",
        "plural_forms": ("группа", "группы", "групп"),
    },
    "axes.accessattempt": {
        "name_accusative": "счетчик неудачных входов",
        "plural_forms": (
            "счетчик неудачных входов",
            "счетчика неудачных входов",
            "счетчиков неудачных входов",
        ),
        "columns": {"status": _axes_status, "expiration": _axes_expiration},
    },
    "axes.accessfailurelog": {
        "name_accusative": "неудачный вход",
        "plural_forms": ("неудачный вход", "неудачных входа", "неудачных входов"),
    },
    "axes.accesslog": {
        "name_accusative": "вход в систему",
        "plural_forms": ("вход в систему", "входа в систему", "входов в систему"),
    },
    "django_tasks_database.dbtaskresult": {
        "name_accusative": "фоновую задачу",
        "plural_forms": ("фоновая задача", "фоновые задачи", "фоновых задач"),
        "columns": {
            "task_name": _task_name,
            "formatted_traceback": Relabel(_("трассировка")),
            "display_run_after": Relabel(_("выполнить не раньше")),
        },
    },
}


def with_russian_names(admin_class, names: dict):
    """`admin_class` with RussianNamesMixin, the given names and retitled columns."""
    attributes = {
        "__module__": admin_class.__module__,
        "name_accusative": names.get("name_accusative", ""),
        "plural_forms": names.get("plural_forms", ()),
    }
    for name, column in names.get("columns", {}).items():
        attributes[name] = (
            column.method(admin_class, name) if isinstance(column, Relabel) else column
        )
    return type(admin_class.__name__, (RussianNamesMixin, admin_class), attributes)


class ServiceAdminSite(admin.AdminSite):
    """The default admin site (`common.admin_apps.ServiceAdminConfig`).

    Every ModelAdmin on it has RussianNamesMixin: another app's gets the names of
    THIRD_PARTY_NAMES; the project's own admins declare theirs.
    """

    def register(self, model_or_iterable, admin_class=None, **options):
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            model_admin_class = admin_class or admin.ModelAdmin
            if not issubclass(model_admin_class, RussianNamesMixin):
                # Without names (a model missing from the table) the headings are Django's;
                # tests/test_admin_russian.py lists the names every model must have.
                names = THIRD_PARTY_NAMES.get(model._meta.label_lower, {})
                model_admin_class = with_russian_names(model_admin_class, names)
            super().register(model, model_admin_class, **options)
