"""The service owner's admin for tariffs and subscriptions.

Base and extension subscriptions are written only through `services.py`, so
the admin gets the same lock and the same `full_clean()` as the cabinet (R12).

A refusal the form could not foresee (an extension added under a base that is
being created, a posted extension deleted, another operator's change under the
lock) comes back from the service as a `ValidationError` after the form was
valid. `save_model()` / `save_formset()` turn it into `LateRefusal`, which
leaves the admin's `transaction.atomic()` and so rolls back everything the
request wrote — the base, its inlines, the log entry. `changeform_view()` then
runs the same POST once more with the refusal put onto the form (next to its
field, or on the inline row that caused it); that form is invalid, so the page
is re-rendered with the user's input and the service's own Russian message,
and nothing is saved.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_admin_lightweight_date_hierarchy.templatetags.ldh_admin_list import (
    default_date_hierarchy_drilldown,
)

from subscribers.admin import LargeTablePaginator, ReadOnlyHistoryAdmin, TamperedIdsMixin

from . import clock
from .models import (
    ExtensionSubscription,
    NumberSequence,
    Status,
    Subscription,
    Tariff,
    TariffPeriod,
)
from .services import (
    extension_delete,
    extension_post,
    extension_save,
    extension_unpost,
    subscription_delete,
    subscription_post,
    subscription_save,
    subscription_unpost,
)

# --- Late refusals from the services -----------------------------------------


class LateRefusal(Exception):
    """A service refused a write that the admin form had accepted."""

    def __init__(self, error: ValidationError, *, formset_prefix=None, form_index=None, label=""):
        super().__init__(error)
        self.error = error
        self.formset_prefix = formset_prefix
        self.form_index = form_index
        self.label = label

    def messages_for_list(self) -> list[str]:
        prefix = f"{self.label}: " if self.label else ""
        return [prefix + message for message in self.error.messages]


def add_error_to_form(form, error: ValidationError) -> None:
    """Put a service's error on a form: next to its field when the form shows it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _late_refusal(request) -> LateRefusal | None:
    return getattr(request, "_late_refusal", None)


def _refuse_second_write(request) -> None:
    # The second run exists only to show the refusal; its form is invalid, so
    # reaching a write here would be a bug, and it must not save anything.
    if _late_refusal(request) is not None:
        raise RuntimeError("the admin tried to write while showing a refusal")


class LateErrorFormMixin:
    """Adds the refusal of the first run to the form of the second run."""

    late_error = None

    def clean(self):
        cleaned_data = super().clean()
        if self.late_error is not None:
            add_error_to_form(self, self.late_error)
        return cleaned_data


class LateErrorFormSet(BaseInlineFormSet):
    """Adds the refusal of the first run to the inline row that caused it."""

    late_refusal = None

    def clean(self):
        super().clean()
        refusal = self.late_refusal
        if refusal is None or refusal.formset_prefix != self.prefix:
            return
        index = refusal.form_index
        if index is not None and index < len(self.forms):
            row = self.forms[index]
            if not (self.can_delete and self._should_delete_form(row)):
                add_error_to_form(row, refusal.error)
                return
        # A row being deleted is skipped by is_valid(): the error goes above the table.
        raise ValidationError(refusal.messages_for_list())


class ServiceWriteAdmin(TamperedIdsMixin, ReadOnlyHistoryAdmin):
    """A ModelAdmin whose writes go through services and whose refusals land on the form."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LateRefusal as refusal:
            request._late_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = _late_refusal(request)
        if refusal is not None and refusal.formset_prefix is None:
            form = type(form.__name__, (form,), {"late_error": refusal.error})
        return form

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except LateRefusal as refusal:
            for message in refusal.messages_for_list():
                messages.error(request, message)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def get_actions(self, request):
        # Bulk deletion would bypass the services; a document is deleted from its page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def run_per_document(self, request, queryset, action, *, done_message, already_message):
        """Apply a service action to each selected document; report each refusal by number.

        `action` returns None for a document already in the wanted state.
        """
        done = already = 0
        for document in queryset.order_by("pk"):
            try:
                result = action(document)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, f"№ {document.number}: {message}")
                continue
            if result is None:
                already += 1
            else:
                done += 1
        if done:
            messages.success(request, done_message % {"count": done})
        if already:
            messages.info(request, already_message % {"count": already})


class PeriodChoiceField(forms.ModelChoiceField):
    """A tariff's period, named with its tariff: «Стандарт: 12 месяцев — 150 000 ₸»."""

    def label_from_instance(self, obj):
        return f"{obj.tariff.name}: {obj}"


class PeriodChoiceMixin:
    """The «период действия» select lists only the periods of one kind of tariff."""

    period_tariff_kind = None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "period" and self.period_tariff_kind:
            kwargs["queryset"] = (
                TariffPeriod.objects.filter(tariff__kind=self.period_tariff_kind)
                .select_related("tariff")
                .order_by("tariff__name", "approx_days")
            )
            kwargs["form_class"] = PeriodChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Writing through the services --------------------------------------------


def write_subscription(subscription: Subscription, *, user, changed_fields) -> Subscription:
    """Save a base subscription from the admin form; a status change posts or un-posts."""
    if subscription.pk is None:
        return subscription_save(subscription=subscription, user=user)
    other_changes = set(changed_fields) - {"status"}
    stored_status = subscription.loaded_value("status")
    if stored_status == Status.POSTED and subscription.status == Status.DRAFT:
        # Un-post first (refused while posted extensions stand on it), then save the rest.
        subscription_unpost(subscription=subscription, user=user)
        if other_changes:
            subscription.posted_by = None
            subscription.posted_at = None
            subscription_save(subscription=subscription, user=user)
        subscription.refresh_from_db()
        return subscription
    if stored_status == Status.DRAFT and subscription.status == Status.POSTED:
        if other_changes:
            subscription.status = Status.DRAFT
            subscription_save(subscription=subscription, user=user)
        subscription_post(subscription=subscription, user=user)
        subscription.refresh_from_db()
        return subscription
    return subscription_save(subscription=subscription, user=user)


def write_extension(extension: ExtensionSubscription, *, user, changed_fields):
    """Save an extension from the admin form: draft («Записать») or posted («Провести»)."""
    wanted_posted = extension.status == Status.POSTED
    if extension.pk and extension.loaded_value("status") == Status.POSTED:
        if not wanted_posted:
            # A posted extension's other fields are read-only: un-posting is the whole change.
            extension_unpost(extension=extension, user=user)
            extension.refresh_from_db()
            return extension
        if not set(changed_fields) - {"status"}:
            return extension
        # Anything else on a posted one: the service refuses («сначала отмените проведение»).
    return extension_save(extension=extension, user=user, post=wanted_posted)


# --- Tariffs -----------------------------------------------------------------


class TariffPeriodForm(forms.ModelForm):
    """A period already used by a subscription keeps its length: `ends_on` follows from it (R3)."""

    FIXED_WHEN_USED = ("tariff", "periodicity", "count")

    class Meta:
        model = TariffPeriod
        fields = ["tariff", "periodicity", "count", "price", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_in_use():
            for name in self.FIXED_WHEN_USED:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _(
                        "Период уже есть в подписках: его длительность не меняется, "
                        "меняется только цена."
                    )


class TariffPeriodInline(admin.TabularInline):
    model = TariffPeriod
    form = TariffPeriodForm
    fields = ["periodicity", "count", "price", "approx_days", "is_active"]
    readonly_fields = ["approx_days"]
    extra = 0


class BaseTariffChoiceField(forms.ModelMultipleChoiceField):
    """Base tariffs only; a tariff that is not a base one is refused by name."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except ValidationError as exc:
            if exc.code != "invalid_choice":
                raise
            pks = [v for v in value if str(v).isdigit()]
            names = list(
                Tariff.objects.filter(pk__in=pks)
                .exclude(kind=Tariff.Kind.BASE)
                .values_list("name", flat=True)
            )
            if not names:
                raise
            raise ValidationError(
                _(
                    "Тариф расширения предлагается только для основных тарифов, а %(names)s — "
                    "не основной. Уберите его из списка."
                ),
                code="offered_for_not_base",
                params={"names": ", ".join(f"«{name}»" for name in names)},
            ) from exc


class TariffAdminForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = [
            "name",
            "kind",
            "is_active",
            "description",
            "sessions",
            "infobases",
            "resource",
            "max_quantity",
            "offered_for",
            "reminder_days",
        ]

    def clean(self):
        cleaned_data = super().clean()
        kind = cleaned_data.get("kind")
        offered_for = cleaned_data.get("offered_for")
        if kind == Tariff.Kind.BASE and offered_for:
            self.add_error(
                "offered_for",
                ValidationError(
                    _("Основной тариф не предлагается для других тарифов: оставьте список пустым."),
                    code="base_offered_for",
                ),
            )
        if self.instance.pk:
            self._check_used_tariff(kind, offered_for)
        return cleaned_data

    def _check_used_tariff(self, kind, offered_for):
        """What documents already rely on (R2) does not change under them."""
        # Kind and resource are Tariff.clean()'s; the offered-for list is a
        # many-to-many field, saved after clean(), so it is checked here.
        tariff = self.instance
        if kind != Tariff.Kind.EXTENSION or offered_for is None:
            return
        removed = set(tariff.offered_for.values_list("pk", flat=True)) - {t.pk for t in offered_for}
        stranded = (
            Tariff.objects.filter(pk__in=removed, subscriptions__extensions__tariff=tariff)
            .distinct()
            .values_list("name", flat=True)
        )
        if stranded:
            self.add_error(
                "offered_for",
                ValidationError(
                    _(
                        "К подпискам на тарифы %(names)s уже оформлены расширения «%(tariff)s»: "
                        "эти тарифы нельзя убрать из списка."
                    ),
                    code="offered_for_in_use",
                    params={
                        "names": ", ".join(f"«{name}»" for name in stranded),
                        "tariff": tariff.name,
                    },
                ),
            )


@admin.register(Tariff)
class TariffAdmin(TamperedIdsMixin, ReadOnlyHistoryAdmin):
    form = TariffAdminForm
    list_display = [
        "name",
        "kind",
        "sessions",
        "infobases",
        "resource",
        "max_quantity",
        "offered_for_names",
        "is_active",
    ]
    list_filter = ["kind", "resource", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["offered_for"]
    fieldsets = [
        (_("Тариф"), {"fields": ["name", "kind", "is_active", "description", "reminder_days"]}),
        (_("Основной тариф: что включено"), {"fields": ["sessions", "infobases"]}),
        (
            _("Тариф расширения: что добавляет и к каким тарифам"),
            {"fields": ["resource", "max_quantity", "offered_for"]},
        ),
    ]
    inlines = [TariffPeriodInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("offered_for")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "offered_for":
            kwargs["form_class"] = BaseTariffChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("предлагается для тарифов"))
    def offered_for_names(self, obj):
        return ", ".join(t.name for t in obj.offered_for.all()) or "—"


@admin.register(TariffPeriod)
class TariffPeriodAdmin(TamperedIdsMixin, ReadOnlyHistoryAdmin):
    form = TariffPeriodForm
    list_display = ["tariff", "label", "price", "approx_days", "is_active"]
    list_filter = ["tariff__kind", "periodicity", "is_active", "tariff"]
    search_fields = ["tariff__name"]
    list_select_related = ["tariff"]
    autocomplete_fields = ["tariff"]
    readonly_fields = ["approx_days"]
    fieldsets = [
        (_("Период действия"), {"fields": ["tariff", "periodicity", "count", "approx_days"]}),
        (_("Цена"), {"fields": ["price", "is_active"]}),
    ]

    @admin.display(description=_("период"), ordering="approx_days")
    def label(self, obj):
        return obj.label


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    """Read-only: numbers are given out under a row lock, never typed."""

    list_display = ["name", "last_value"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Subscriptions -----------------------------------------------------------

DOCUMENT_READONLY = [
    "number",
    "ends_on",
    "created_by",
    "created_at",
    "updated_at",
    "posted_by",
    "posted_at",
]


class ExtensionInlineForm(forms.ModelForm):
    """A posted extension is read-only in the table; only its status can go back to draft."""

    class Meta:
        model = ExtensionSubscription
        fields = ["tariff", "period", "starts_on", "quantity", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_posted:
            for name, field in self.fields.items():
                if name != "status":
                    field.disabled = True


class ExtensionInline(PeriodChoiceMixin, admin.TabularInline):
    model = ExtensionSubscription
    period_tariff_kind = Tariff.Kind.EXTENSION
    fk_name = "subscription"
    form = ExtensionInlineForm
    formset = LateErrorFormSet
    fields = ["number", "tariff", "period", "starts_on", "ends_on", "quantity", "status", "amount"]
    readonly_fields = ["number", "ends_on", "amount"]
    extra = 0
    show_change_link = True
    verbose_name = _("подписка на расширение тарифа")
    verbose_name_plural = _("подписки на расширения")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tariff", "period")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        refusal = _late_refusal(request)
        if refusal is not None and refusal.formset_prefix is not None:
            formset = type(formset.__name__, (formset,), {"late_refusal": refusal})
        return formset


class LargeDocumentListMixin:
    """The change list of a table of hundreds of thousands of documents.

    Its date hierarchy does not look for the years and months that have rows
    (Django's `SELECT DISTINCT` over the whole table on every page): the years
    come from one MIN/MAX over `starts_on` (two index probes), the months and
    days are the calendar's (django-admin-lightweight-date-hierarchy). The
    organization is searched by name rather than offered as a sidebar of
    every partner. Pages of 25 rows; the count is one statement whatever the
    table's size (LargeTablePaginator).
    """

    date_hierarchy = "starts_on"
    date_hierarchy_drilldown = False
    list_per_page = 25
    show_full_result_count = False
    paginator = LargeTablePaginator
    # At most this many years around today in the hierarchy (a document may end in 9999).
    HIERARCHY_YEARS_BACK = 10
    HIERARCHY_YEARS_AHEAD = 5

    def get_date_hierarchy_drilldown(self, year_lookup, month_lookup):
        if year_lookup is None and month_lookup is None:
            bounds = self.model._default_manager.aggregate(
                first=Min("starts_on"), last=Max("starts_on")
            )
            if bounds["first"] is None:
                return []
            today = clock.today()
            first = max(bounds["first"].year, today.year - self.HIERARCHY_YEARS_BACK)
            last = min(bounds["last"].year, today.year + self.HIERARCHY_YEARS_AHEAD)
            return [datetime.date(year, 1, 1) for year in range(first, last + 1)]
        return default_date_hierarchy_drilldown(year_lookup, month_lookup)


class SubscriptionAdminForm(LateErrorFormMixin, forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["subscriber", "tariff", "period", "starts_on", "renews", "status"]


@admin.register(Subscription)
class SubscriptionAdmin(LargeDocumentListMixin, PeriodChoiceMixin, ServiceWriteAdmin):
    form = SubscriptionAdminForm
    period_tariff_kind = Tariff.Kind.BASE
    inlines = [ExtensionInline]
    list_display = [
        "number",
        "subscriber",
        "organization",
        "tariff",
        "period_label",
        "starts_on",
        "ends_on",
        "status",
        "kind",
    ]
    list_filter = ["status", "tariff"]
    search_fields = [
        "number",
        "subscriber__name",
        "=subscriber__code",
        "=subscriber__bin_iin",
        "organization__name",
    ]
    list_select_related = ["subscriber", "organization", "tariff", "period"]
    autocomplete_fields = ["subscriber", "renews"]
    readonly_fields = DOCUMENT_READONLY
    fieldsets = [
        (
            _("Подписка на тариф"),
            {"fields": ["number", "subscriber", "tariff", "period", "starts_on", "ends_on"]},
        ),
        (_("Продление"), {"fields": ["renews"]}),
        (_("Проведение"), {"fields": ["status", "posted_by", "posted_at"]}),
        (_("Кто и когда"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    actions = ["post_selected", "unpost_selected"]

    def get_queryset(self, request):
        # A subscription's name shows its tariff (autocomplete answers, links). The
        # change list skips list_select_related once a queryset has select_related,
        # so the same list is joined here.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("период действия"), ordering="period__approx_days")
    def period_label(self, obj):
        return obj.period.label

    @admin.display(description=_("тип подписки"))
    def kind(self, obj):
        return obj.kind_label

    def save_model(self, request, obj, form, change):
        _refuse_second_write(request)
        try:
            write_subscription(obj, user=request.user, changed_fields=form.changed_data)
        except ValidationError as exc:
            raise LateRefusal(exc) from exc

    def save_formset(self, request, form, formset, change):
        if formset.model is not ExtensionSubscription:
            return super().save_formset(request, form, formset, change)
        _refuse_second_write(request)
        self._save_extension_rows(request, formset)

    def _save_extension_rows(self, request, formset):
        """Each changed row through the service, in row order; the first refusal stops all."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        base = formset.instance
        initial_count = formset.initial_form_count()
        for index, row in enumerate(formset.forms):
            extension = row.instance
            existing = index < initial_count and extension.pk is not None
            deleting = formset.can_delete and formset._should_delete_form(row)
            if not existing and (deleting or not row.has_changed()):
                continue
            if existing and not deleting and not row.has_changed():
                continue
            label = f"№ {extension.number}" if existing else ""
            try:
                if deleting:
                    extension_delete(extension=extension, user=request.user)
                    formset.deleted_objects.append(extension)
                    continue
                extension.subscription = base
                write_extension(extension, user=request.user, changed_fields=row.changed_data)
            except ValidationError as exc:
                raise LateRefusal(
                    exc, formset_prefix=formset.prefix, form_index=index, label=label
                ) from exc
            if existing:
                formset.changed_objects.append((extension, row.changed_data))
            else:
                formset.new_objects.append(extension)

    def delete_model(self, request, obj):
        try:
            subscription_delete(subscription=obj, user=request.user)
        except ValidationError as exc:
            raise LateRefusal(exc, label=f"№ {obj.number}") from exc

    @admin.action(description=_("Провести"), permissions=["change"])
    def post_selected(self, request, queryset):
        self.run_per_document(
            request,
            queryset,
            lambda base: (
                None if base.is_posted else subscription_post(subscription=base, user=request.user)
            ),
            done_message=gettext("Проведено подписок: %(count)d."),
            already_message=gettext("Уже были проведены: %(count)d."),
        )

    @admin.action(description=_("Отменить проведение"), permissions=["change"])
    def unpost_selected(self, request, queryset):
        self.run_per_document(
            request,
            queryset,
            lambda base: (
                subscription_unpost(subscription=base, user=request.user)
                if base.is_posted
                else None
            ),
            done_message=gettext("Отменено проведение подписок: %(count)d."),
            already_message=gettext("Уже были не проведены: %(count)d."),
        )


class ExtensionAdminForm(LateErrorFormMixin, forms.ModelForm):
    class Meta:
        model = ExtensionSubscription
        fields = ["subscription", "tariff", "period", "starts_on", "quantity", "status"]


@admin.register(ExtensionSubscription)
class ExtensionSubscriptionAdmin(LargeDocumentListMixin, PeriodChoiceMixin, ServiceWriteAdmin):
    form = ExtensionAdminForm
    period_tariff_kind = Tariff.Kind.EXTENSION
    list_display = [
        "number",
        "subscription",
        "subscriber",
        "tariff",
        "period_label",
        "quantity",
        "starts_on",
        "ends_on",
        "status",
        "amount",
    ]
    list_filter = ["status", "tariff"]
    search_fields = [
        "number",
        "=subscription__number",
        "subscription__subscriber__name",
        "=subscription__subscriber__code",
        "organization__name",
    ]
    list_select_related = [
        "subscription",
        "subscription__subscriber",
        "subscription__tariff",
        "tariff",
        "period",
    ]
    autocomplete_fields = ["subscription"]
    readonly_fields = [*DOCUMENT_READONLY, "unit_price", "amount"]
    POSTED_READONLY = ["subscription", "tariff", "period", "starts_on", "quantity"]
    fieldsets = [
        (
            _("Подписка на расширение тарифа"),
            {
                "fields": [
                    "number",
                    "subscription",
                    "tariff",
                    "period",
                    "starts_on",
                    "ends_on",
                    "quantity",
                ]
            },
        ),
        (
            _("Проведение"),
            {"fields": ["status", "posted_by", "posted_at", "unit_price", "amount"]},
        ),
        (_("Кто и когда"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    actions = ["post_selected", "unpost_selected"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_posted:
            # «Сначала отмените проведение»: only the status stays editable.
            readonly += self.POSTED_READONLY
        return readonly

    @admin.display(description=_("абонент"), ordering="subscription__subscriber__name")
    def subscriber(self, obj):
        return obj.subscription.subscriber

    @admin.display(description=_("период действия"), ordering="period__approx_days")
    def period_label(self, obj):
        return obj.period.label

    def save_model(self, request, obj, form, change):
        _refuse_second_write(request)
        try:
            write_extension(obj, user=request.user, changed_fields=form.changed_data)
        except ValidationError as exc:
            raise LateRefusal(exc) from exc

    def delete_model(self, request, obj):
        try:
            extension_delete(extension=obj, user=request.user)
        except ValidationError as exc:
            raise LateRefusal(exc, label=f"№ {obj.number}") from exc

    @admin.action(description=_("Провести"), permissions=["change"])
    def post_selected(self, request, queryset):
        self.run_per_document(
            request,
            queryset,
            lambda ext: None if ext.is_posted else extension_post(extension=ext, user=request.user),
            done_message=gettext("Проведено расширений: %(count)d."),
            already_message=gettext("Уже были проведены: %(count)d."),
        )

    @admin.action(description=_("Отменить проведение"), permissions=["change"])
    def unpost_selected(self, request, queryset):
        self.run_per_document(
            request,
            queryset,
            lambda ext: (
                extension_unpost(extension=ext, user=request.user) if ext.is_posted else None
            ),
            done_message=gettext("Отменено проведение расширений: %(count)d."),
            already_message=gettext("Уже были не проведены: %(count)d."),
        )
