"""The service owner's admin for tariffs and subscriptions.

Everything here is written only through `services.py` — base and extension
subscriptions, tariffs (with «предлагается для тарифов») and their periods —
so the admin gets the same locks, the same «in use» checks under the lock and
the same `full_clean()` as the cabinet (R12). A refusal the form could not
foresee comes back from the service and lands on the form, on the inline row
that caused it, or on the page (`common.admin.ServiceWriteMixin`).
"""

import datetime
import itertools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Max, Min, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_admin_lightweight_date_hierarchy.templatetags.ldh_admin_list import (
    default_date_hierarchy_drilldown,
)

from common.admin import (
    LargeTablePaginator,
    LateRefusal,
    LateRefusalInlineMixin,
    ReadOnlyHistoryAdmin,
    ServiceWriteMixin,
    TamperedIdsMixin,
    inline_rows,
    refuse_second_write,
    search_words,
)
from common.admin_russian import RussianNamesMixin, tenge_display
from subscribers.models import ServiceOrganization, Subscriber
from subscribers.selectors import subscriber_search_q

from . import clock
from .models import (
    UNTIL_BASE_END_LABEL,
    ExtensionSubscription,
    NumberSequence,
    Status,
    Subscription,
    Tariff,
    TariffPeriod,
)
from .selectors import normalize_document_numbers
from .services import (
    extension_delete,
    extension_post,
    extension_save,
    extension_unpost,
    subscription_delete,
    subscription_post,
    subscription_save,
    subscription_unpost,
    tariff_delete,
    tariff_period_delete,
    tariff_period_save,
    tariff_save,
)


class ServiceWriteAdmin(ServiceWriteMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin):
    """The documents' admin: writes through services, refusals on the form."""

    def refusal_label(self, obj) -> str:
        return f"№ {obj.number}"

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


class PeriodsByTariffIterator(forms.models.ModelChoiceIterator):
    """The periods grouped under their tariff's name (the queryset is ordered by tariff)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for tariff_name, periods in itertools.groupby(
            self.queryset, key=lambda period: period.tariff.name
        ):
            yield (tariff_name, [self.choice(period) for period in periods])


class PeriodChoiceField(forms.ModelChoiceField):
    """A tariff's periods under the tariff's name: «Стандарт» › «12 месяцев — 150 000 ₸».

    Without the tariff's name in every option the select stays narrow enough
    for the extensions' table of a base subscription on a 1366 px screen.
    """

    iterator = PeriodsByTariffIterator


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
        # Anything else on a posted one: the service refuses (rules.posted_edit_refusal).
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


class TariffPeriodInline(LateRefusalInlineMixin, admin.TabularInline):
    model = TariffPeriod
    form = TariffPeriodForm
    fields = ["periodicity", "count", "price", "approx_days", "is_active"]
    readonly_fields = ["approx_days"]
    extra = 0
    name_accusative = "период действия"


class BaseTariffChoiceField(forms.ModelMultipleChoiceField):
    """Base tariffs only; a tariff that is not a base one is refused by name."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except ValidationError as exc:
            if exc.code != "invalid_choice":
                raise
            pks = [v for v in value if str(v).isdigit()]
            not_base = list(Tariff.objects.filter(pk__in=pks).exclude(kind=Tariff.Kind.BASE))
            if not not_base:
                raise
            try:
                # The rule's own refusal (Tariff.clean_offered_for), named here.
                Tariff(kind=Tariff.Kind.EXTENSION).clean_offered_for(not_base)
            except ValidationError as refusal:
                raise ValidationError(refusal.error_dict["offered_for"]) from exc
            raise


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
            "offers_until_base_end",
            "offered_for",
            "reminder_days",
            "grace_days",
            "grace_window_days",
            "grace_price",
        ]


@admin.register(Tariff)
class TariffAdmin(RussianNamesMixin, ServiceWriteMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin):
    """Tariffs and their periods, written through the services under the tariff's lock.

    «Предлагается для тарифов» is written with the tariff, in `tariff_save()`,
    not after it as Django saves a many-to-many field: its «in use» check and
    its write happen under the same lock.
    """

    name_accusative = "тариф"
    plural_forms = ("тариф", "тарифа", "тарифов")
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
            _("Основной тариф: продлевающая подписка («обещанный платеж»)"),
            {"fields": ["grace_days", "grace_window_days", "grace_price"]},
        ),
        (
            _("Тариф расширения: что добавляет и к каким тарифам"),
            {"fields": ["resource", "max_quantity", "offers_until_base_end", "offered_for"]},
        ),
    ]
    inlines = [TariffPeriodInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("offered_for")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "offered_for":
            kwargs["form_class"] = BaseTariffChoiceField
            # «Доступные основные тарифы» / «Выбранные основные тарифы» above the two lists.
            kwargs["widget"] = FilteredSelectMultiple(_("основные тарифы"), is_stacked=False)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("предлагается для тарифов"))
    def offered_for_names(self, obj):
        return ", ".join(t.name for t in obj.offered_for.all()) or "—"

    def save_through_service(self, request, obj, form, change):
        tariff_save(tariff=obj, user=request.user, offered_for=form.cleaned_data.get("offered_for"))

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): tariff_save() has written «предлагается для тарифов».
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        """Each changed period row through the service, in row order; a refusal stops all."""
        refuse_second_write(request)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for index, row, existing, deleting in inline_rows(formset):
            period = row.instance
            try:
                if deleting:
                    tariff_period_delete(period=period, user=request.user)
                    formset.deleted_objects.append(period)
                    continue
                period.tariff = form.instance
                tariff_period_save(period=period, user=request.user)
            except ValidationError as exc:
                raise LateRefusal(
                    exc,
                    formset_prefix=formset.prefix,
                    form_index=index,
                    label=period.label if existing else "",
                ) from exc
            if existing:
                formset.changed_objects.append((period, row.changed_data))
            else:
                formset.new_objects.append(period)

    def delete_through_service(self, request, obj):
        tariff_delete(tariff=obj, user=request.user)


@admin.register(TariffPeriod)
class TariffPeriodAdmin(
    RussianNamesMixin, ServiceWriteMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin
):
    name_accusative = "период действия"
    plural_forms = ("период действия", "периода действия", "периодов действия")
    form = TariffPeriodForm
    list_display = ["tariff", "label", "price_tenge", "approx_days", "is_active"]
    list_filter = ["tariff__kind", "periodicity", "is_active", "tariff"]
    search_fields = ["tariff__name"]
    list_select_related = ["tariff"]
    autocomplete_fields = ["tariff"]
    readonly_fields = ["approx_days"]
    fieldsets = [
        (_("Период действия"), {"fields": ["tariff", "periodicity", "count", "approx_days"]}),
        (_("Цена"), {"fields": ["price", "is_active"]}),
    ]

    price_tenge = tenge_display("price", _("цена"))

    @admin.display(description=_("период"), ordering="approx_days")
    def label(self, obj):
        return obj.label

    def save_through_service(self, request, obj, form, change):
        tariff_period_save(period=obj, user=request.user)

    def delete_through_service(self, request, obj):
        tariff_period_delete(period=obj, user=request.user)


@admin.register(NumberSequence)
class NumberSequenceAdmin(RussianNamesMixin, admin.ModelAdmin):
    """Read-only: numbers are given out under a row lock, never typed."""

    name_accusative = "нумератор документов"
    plural_forms = ("нумератор документов", "нумератора документов", "нумераторов документов")
    # The model's fields have no Russian names (a migration's worth): named here.
    list_display = ["prefix", "last_number"]
    fields = readonly_fields = ["prefix", "last_number"]
    search_fields = ["name"]

    @admin.display(description=_("буква номера"), ordering="name")
    def prefix(self, obj):
        return obj.name

    @admin.display(description=_("последний выданный номер"), ordering="last_value")
    def last_number(self, obj):
        return obj.last_value

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


def show_until_base_end(form) -> None:
    """An extension «до окончания подписки на тариф» has no period: its empty
    «период действия» says so instead of «---------»."""
    if form.instance.until_base_end and "period" in form.fields:
        form.fields["period"].empty_label = UNTIL_BASE_END_LABEL


# R14 «Прекратить»: shown, never typed (the cabinet's form and the services write them).
EARLY_END_READONLY = [
    "ended_early_on",
    "planned_ends_on",
    "early_end_reason",
    "ended_early_by",
    "ended_early_at",
    "unused_amount_tenge",
]
EARLY_END_FIELDSET = (_("Досрочное прекращение"), {"fields": EARLY_END_READONLY})


class ExtensionInlineForm(forms.ModelForm):
    """A posted extension is read-only in the table; only its status can go back to draft."""

    class Meta:
        model = ExtensionSubscription
        fields = ["tariff", "period", "starts_on", "quantity", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        show_until_base_end(self)
        if self.instance.pk and self.instance.is_posted:
            for name, field in self.fields.items():
                if name != "status":
                    field.disabled = True


class ExtensionInline(LateRefusalInlineMixin, PeriodChoiceMixin, admin.TabularInline):
    model = ExtensionSubscription
    period_tariff_kind = Tariff.Kind.EXTENSION
    fk_name = "subscription"
    form = ExtensionInlineForm
    # The number is in each row's heading («№ P00000003 Дополнительный сеанс × 3»),
    # not in a column of its own: the table fits a 1366 px screen.
    fields = ["tariff", "period", "starts_on", "ends_on", "quantity", "status", "amount_tenge"]
    readonly_fields = ["ends_on", "amount_tenge"]
    extra = 0
    show_change_link = True
    verbose_name = _("подписка на расширение тарифа")
    verbose_name_plural = _("подписки на расширения")
    name_accusative = "подписку на расширение тарифа"
    amount_tenge = tenge_display("amount", _("сумма"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tariff", "period")


class LargeListMixin:
    """The change list of a table of hundreds of thousands of rows.

    Its date hierarchy does not look for the years and months that have rows
    (Django's `SELECT DISTINCT` over the whole table on every page): the years
    come from one MIN/MAX over the `date_hierarchy` field (two index probes),
    the months and days are the calendar's
    (django-admin-lightweight-date-hierarchy). Pages of 25 rows; the count is
    one statement whatever the table's size (LargeTablePaginator); the order
    has an index of its own.
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
                first=Min(self.date_hierarchy), last=Max(self.date_hierarchy)
            )
            if bounds["first"] is None:
                return []
            today = clock.today()
            first = max(bounds["first"].year, today.year - self.HIERARCHY_YEARS_BACK)
            last = min(bounds["last"].year, today.year + self.HIERARCHY_YEARS_AHEAD)
            return [datetime.date(year, 1, 1) for year in range(first, last + 1)]
        return default_date_hierarchy_drilldown(year_lookup, month_lookup)


class LargeDocumentListMixin(LargeListMixin):
    """A list of documents: the organization is searched by name rather than
    offered as a sidebar of every partner; see get_search_results()."""

    # An extension: its subscriber is reached, and its base's number searched, through the base.
    searches_base_number = False

    def get_search_results(self, request, queryset, search_term):
        """Each word finds a document by (a part of) its number, its subscriber as
        the cabinet's search finds one (name, start of the code or BIN/IIN, from
        their indexes), its partner's name, or — an extension — its base's number.

        «T00000012» typed with a Latin T (or P) finds «Т00000012», here and in
        autocompletes. The subscribers and partners are looked up apart
        (`IN (SELECT …)`), not joined: Django's own search joined both tables
        and compared each name on every document (1–2 s at 250,000 documents).
        A partner's whole name (any case) lists that partner's documents: the
        way to filter by partner here, read from the organization's indexes.
        """
        partner = ServiceOrganization.objects.filter(name__iexact=search_term.strip())
        partner_pk = partner.values_list("pk", flat=True).first() if search_term.strip() else None
        if partner_pk is not None:
            return queryset.filter(organization_id=partner_pk), False
        for word in search_words(normalize_document_numbers(search_term)):
            subscribers = Subscriber.objects.filter(subscriber_search_q(word)).values("pk")
            partners = ServiceOrganization.objects.filter(name__icontains=word).values("pk")
            condition = Q(number__icontains=word) | Q(organization__in=partners)
            if self.searches_base_number:
                # An extension's subscriber and base through the bases, not a join.
                bases = Subscription.objects.filter(subscriber__in=subscribers).values("pk")
                by_number = Subscription.objects.filter(number=word).values("pk")
                condition |= Q(subscription__in=bases) | Q(subscription__in=by_number)
            else:
                condition |= Q(subscriber__in=subscribers)
            queryset = queryset.filter(condition)
        return queryset, False


class SubscriptionAdminForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["subscriber", "tariff", "period", "starts_on", "renews", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A main subscription has a period; a grace one (R13) has none (its constraint).
        if "period" in self.fields:
            self.fields["period"].required = not self.instance.is_grace


@admin.register(Subscription)
class SubscriptionAdmin(
    RussianNamesMixin, LargeDocumentListMixin, PeriodChoiceMixin, ServiceWriteAdmin
):
    name_accusative = "подписку на тариф"
    plural_forms = ("подписка на тариф", "подписки на тарифы", "подписок на тарифы")
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
    list_filter = ["status", "kind", "tariff"]
    search_fields = [
        "number",
        "subscriber__name",
        "=subscriber__code",
        "=subscriber__bin_iin",
        "organization__name",
    ]
    list_select_related = ["subscriber", "organization", "tariff", "period"]
    autocomplete_fields = ["subscriber", "renews"]
    readonly_fields = [*DOCUMENT_READONLY, *EARLY_END_READONLY, "kind"]
    unused_amount_tenge = tenge_display("unused_amount", _("не использовано"))
    fieldsets = [
        (
            _("Подписка на тариф"),
            {"fields": ["number", "subscriber", "tariff", "period", "starts_on", "ends_on"]},
        ),
        (_("Тип подписки и продолжение"), {"fields": ["kind", "renews"]}),
        (_("Проведение"), {"fields": ["status", "posted_by", "posted_at"]}),
        EARLY_END_FIELDSET,
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
        return obj.period_label

    @admin.display(description=_("тип подписки"))
    def kind(self, obj):
        return obj.kind_label

    def save_through_service(self, request, obj, form, change):
        write_subscription(obj, user=request.user, changed_fields=form.changed_data)

    def delete_through_service(self, request, obj):
        subscription_delete(subscription=obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ExtensionSubscription:
            return super().save_formset(request, form, formset, change)
        refuse_second_write(request)
        self._save_extension_rows(request, formset)

    def _save_extension_rows(self, request, formset):
        """Each changed row through the service, in row order; the first refusal stops all."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        base = formset.instance
        for index, row, existing, deleting in inline_rows(formset):
            extension = row.instance
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


class ExtensionAdminForm(forms.ModelForm):
    class Meta:
        model = ExtensionSubscription
        fields = [
            "subscription",
            "tariff",
            "period",
            "until_base_end",
            "starts_on",
            "quantity",
            "status",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        show_until_base_end(self)


@admin.register(ExtensionSubscription)
class ExtensionSubscriptionAdmin(
    RussianNamesMixin, LargeDocumentListMixin, PeriodChoiceMixin, ServiceWriteAdmin
):
    name_accusative = "подписку на расширение тарифа"
    plural_forms = (
        "подписка на расширение тарифа",
        "подписки на расширение тарифа",
        "подписок на расширение тарифа",
    )
    form = ExtensionAdminForm
    period_tariff_kind = Tariff.Kind.EXTENSION
    list_display = [
        "number",
        "base_number",
        "subscriber",
        "tariff",
        "period_label",
        "quantity",
        "starts_on",
        "ends_on",
        "status",
        "amount_tenge",
    ]
    list_filter = ["status", "tariff"]
    search_fields = [
        "number",
        "=subscription__number",
        "subscription__subscriber__name",
        "=subscription__subscriber__code",
        "organization__name",
    ]
    searches_base_number = True
    list_select_related = [
        "subscription",
        "subscription__subscriber",
        "subscription__tariff",
        "tariff",
        "period",
    ]
    autocomplete_fields = ["subscription"]
    readonly_fields = [
        *DOCUMENT_READONLY,
        "unit_price_tenge",
        "amount_tenge",
        *EARLY_END_READONLY,
        "replaces",
    ]
    POSTED_READONLY = [
        "subscription",
        "tariff",
        "period",
        "until_base_end",
        "starts_on",
        "quantity",
    ]
    fieldsets = [
        (
            _("Подписка на расширение тарифа"),
            {
                "fields": [
                    "number",
                    "subscription",
                    "tariff",
                    "period",
                    "until_base_end",
                    "starts_on",
                    "ends_on",
                    "quantity",
                ]
            },
        ),
        (
            _("Проведение"),
            {"fields": ["status", "posted_by", "posted_at", "unit_price_tenge", "amount_tenge"]},
        ),
        (_("Досрочное прекращение"), {"fields": [*EARLY_END_READONLY, "replaces"]}),
        (_("Кто и когда"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    actions = ["post_selected", "unpost_selected"]
    unit_price_tenge = tenge_display("unit_price", _("цена за единицу"))
    amount_tenge = tenge_display("amount", _("сумма"))
    unused_amount_tenge = tenge_display("unused_amount", _("не использовано"))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and (obj.is_posted or obj.loaded_value("status") == Status.POSTED):
            # «Сначала отмените проведение»: only the status stays editable. Posted as
            # stored: a refused un-post (R15) shows the same form again, not a 500.
            readonly += [*self.POSTED_READONLY, "period_label"]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        readonly = self.get_readonly_fields(request, obj)
        if obj is None or "period_label" not in readonly:
            return fieldsets
        if not (obj.until_base_end or obj.is_replacement):
            return fieldsets
        # Read-only, its term as every screen says it (`period_label`) in the period's
        # place: «до окончания подписки на тариф», or a replacement's span.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "period_label" if field == "period" else field
                        for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description=_("абонент"), ordering="subscription__subscriber__name")
    def subscriber(self, obj):
        return obj.subscription.subscriber

    @admin.display(description=_("подписка на тариф"), ordering="subscription__number")
    def base_number(self, obj):
        # The number only: the subscriber and the tariff have columns of their own.
        return f"№\u00a0{obj.subscription.number}"

    @admin.display(description=_("период действия"), ordering="period__approx_days")
    def period_label(self, obj):
        return obj.period_label

    def save_through_service(self, request, obj, form, change):
        write_extension(obj, user=request.user, changed_fields=form.changed_data)

    def delete_through_service(self, request, obj):
        extension_delete(extension=obj, user=request.user)

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
