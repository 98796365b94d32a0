"""What the API takes and returns.

Query parameters: one serializer per operation names every parameter it
accepts (the views refuse any other, see `views.validated_query`), and the
OpenAPI document lists the same fields. Answers: subscribers, limits,
subscriptions with their extensions, and the two shapes of a refusal.
"""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import ProhibitNullCharactersValidator

from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.validators import validate_business_date


class SubscriberSerializer(serializers.ModelSerializer):
    # Declared: the model's field may be blank, and the document must allow "" too.
    email = serializers.EmailField(
        read_only=True, allow_blank=True, help_text=_("пусто, если не указана")
    )

    class Meta:
        model = Subscriber
        fields = ["id", "code", "name", "bin_iin", "city", "email", "phone"]
        read_only_fields = fields


# --- Query parameters ---------------------------------------------------------------


class QueryIntegerField(serializers.IntegerField):
    """A whole number written as digits: «1.0», «1_000» or « 5» are refused, not rounded."""

    DIGITS = re.compile(r"-?[0-9]+")

    def to_internal_value(self, data):
        if not (isinstance(data, str) and self.DIGITS.fullmatch(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


# R18's business range, 2000-01-01…2099-12-31, as a pattern, so that the document
# tells a client which days it may ask for (tests/api check it against the range).
BUSINESS_DAY_PATTERN = r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"


@extend_schema_field({"type": "string", "format": "date", "pattern": BUSINESS_DAY_PATTERN})
class QueryDateField(serializers.DateField):
    """A day as ГГГГ-ММ-ДД exactly (OpenAPI's `format: date`): «2026-1-5» is refused."""

    ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def to_internal_value(self, value):
        if not (isinstance(value, str) and self.ISO_DAY.fullmatch(value)):
            self.fail("invalid")
        return super().to_internal_value(value)


class QuerySerializer(serializers.Serializer):
    """The query parameters of an operation that takes none."""


PAGE_NUMBER_ERRORS = {
    "invalid": _("Номер страницы — целое число от 1, например 2."),
    "min_value": _("Номер страницы — целое число от 1, например 2."),
    "max_string_length": _("Номер страницы — целое число от 1, например 2."),
}
PAGE_SIZE_ERRORS = {
    "invalid": _("Размер страницы — целое число от 1, например 50."),
    "min_value": _("Размер страницы — целое число от 1, например 50."),
    "max_string_length": _("Размер страницы — целое число от 1, например 50."),
}


class PageQuerySerializer(QuerySerializer):
    """The parameters of a paged list (`views.ApiPagination`)."""

    page = QueryIntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "Номер страницы, с 1. Страницы за последней нет (404): "
            "переходите по ссылкам next и previous из ответа."
        ),
        error_messages=PAGE_NUMBER_ERRORS,
    )
    page_size = QueryIntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "Строк на странице: по умолчанию 50, не больше 200 (просьба о большем дает 200)."
        ),
        error_messages=PAGE_SIZE_ERRORS,
    )


SEARCH_MAX_LENGTH = 200


# Written out: «no NUL» as `not: {pattern}` rather than a `pattern`, for which
# drf-spectacular would make the optional string a `oneOf` of itself and the
# empty string — which the empty string then matches twice, i.e. fails.
@extend_schema_field(
    {"type": "string", "maxLength": SEARCH_MAX_LENGTH, "not": {"pattern": "\\x00"}}
)
class SearchTextField(serializers.CharField):
    """Search text: up to 200 characters, none of them NUL (PostgreSQL cannot compare with one).

    NUL is a 400 with its own message, never a 500, and the OpenAPI document
    says so. Empty means no search.
    """

    default_error_messages = {
        "null_character": _("Строка поиска не может содержать символ NUL."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        kwargs.setdefault("allow_blank", True)
        # Kept as sent, so that its length is the one the document limits (the search strips).
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if "\x00" in text:
            self.fail("null_character")
        return text


class SubscriberListQuerySerializer(PageQuerySerializer):
    q = SearchTextField(
        required=False,
        help_text=_("Поиск: часть наименования, начало кода абонента или БИН/ИИН."),
        error_messages={"max_length": _("Не длиннее %(limit_value)d символов.")},
    )


class LimitsQuerySerializer(QuerySerializer):
    date = QueryDateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text=_(
            "День, на который считать лимиты (ГГГГ-ММ-ДД, с 2000-01-01 по 2099-12-31); "
            "по умолчанию — сегодня."
        ),
        # R18: a day outside the service's business range is refused, not computed.
        validators=[validate_business_date],
        error_messages={
            "invalid": _("Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."),
            "datetime": _("Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."),
        },
    )


# --- Refusals ---------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every refusal but a bad query parameter (401, 404, 406)."""

    detail = serializers.CharField(help_text=_("Что не так и что сделать."))


class ParameterErrorsSerializer(serializers.Serializer):
    """A 400: each refused query parameter with its messages, e.g. {"date": ["…"]}.

    The body is a mapping from a parameter's name to its messages (DRF's
    shape of a validation error), so its schema is written out by
    `ParameterErrorsScheme` rather than derived from fields.
    """


class ParameterErrorsScheme(OpenApiSerializerExtension):
    target_class = ParameterErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "Ключ — имя параметра запроса (в том числе неизвестного или "
            "повторенного), значение — что с ним не так и как исправить.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "minProperties": 1,
            "example": {"date": ["Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."]},
        }


# --- Answers ----------------------------------------------------------------------------


class LimitsSerializer(serializers.Serializer):
    subscriber = serializers.IntegerField(help_text=_("id абонента"))
    date = serializers.DateField(help_text=_("день, на который посчитаны лимиты"))
    sessions = serializers.IntegerField(help_text=_("сеансов: тарифы + «Дополнительный сеанс»"))
    infobases = serializers.IntegerField(
        help_text=_("информационных баз: тарифы + «Дополнительная база»")
    )


class _DocumentSerializer(serializers.ModelSerializer):
    tariff = serializers.CharField(source="tariff.name", help_text=_("наименование тарифа"))
    period = serializers.CharField(
        source="period_label",
        help_text=_("период действия; у расширения без периода — «до окончания подписки на тариф»"),
    )
    status = serializers.ChoiceField(choices=Status.choices, help_text=_("draft или posted"))
    status_label = serializers.CharField(source="get_status_display")
    type_label = serializers.CharField(source="kind_label")
    amount = serializers.DecimalField(
        source="current_amount",
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text=_("сумма, ₸"),
    )


class ExtensionSerializer(_DocumentSerializer):
    type = serializers.SerializerMethodField()
    resource = serializers.CharField(
        source="tariff.resource", help_text=_("sessions или infobases")
    )

    class Meta:
        model = ExtensionSubscription
        fields = [
            "id",
            "number",
            "type",
            "type_label",
            "tariff",
            "resource",
            "period",
            "until_base_end",
            "starts_on",
            "ends_on",
            "status",
            "status_label",
            "quantity",
            "amount",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["extension"]))
    def get_type(self, obj) -> str:
        return "extension"


class SubscriptionSerializer(_DocumentSerializer):
    type = serializers.SerializerMethodField(
        help_text=_(
            "base — основная, renewal — основная, которая продолжает другую (продление), "
            "grace — продлевающая («обещанный платеж»)"
        )
    )
    kind = serializers.ChoiceField(
        choices=Subscription.Kind.choices,
        help_text=_("тип подписки: main — основная, grace — продлевающая"),
    )
    renews = serializers.CharField(
        source="renews.number",
        allow_null=True,
        help_text=_("номер подписки, которую эта продолжает"),
    )
    extensions = ExtensionSerializer(many=True, source="api_extensions")

    class Meta:
        model = Subscription
        fields = [
            "id",
            "number",
            "type",
            "type_label",
            "kind",
            "tariff",
            "period",
            "starts_on",
            "ends_on",
            "status",
            "status_label",
            "amount",
            "renews",
            "extensions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["base", "renewal", "grace"]))
    def get_type(self, obj) -> str:
        if obj.is_grace:
            return "grace"
        return "renewal" if obj.renews_id else "base"


# --- The price list (R16) ---------------------------------------------------------------


class PriceListQuerySerializer(QuerySerializer):
    date = QueryDateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text=_(
            "День, на который показать цены (ГГГГ-ММ-ДД, с 2000-01-01 по 2099-12-31); "
            "по умолчанию — сегодня."
        ),
        validators=[validate_business_date],
        error_messages={
            "invalid": _("Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."),
            "datetime": _("Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."),
        },
    )


class PriceListRowSerializer(serializers.Serializer):
    period_id = serializers.IntegerField(source="period.pk", help_text=_("id периода действия"))
    tariff = serializers.CharField(source="tariff.name", help_text=_("наименование тарифа"))
    tariff_kind = serializers.ChoiceField(
        source="tariff.kind",
        choices=["base", "extension"],
        help_text=_("base — основной тариф, extension — тариф расширения"),
    )
    period = serializers.CharField(source="period.label", help_text=_("период действия"))
    periodicity = serializers.CharField(
        source="period.periodicity",
        help_text=_("day, week, decade, month, quarter, half_year или year"),
    )
    count = serializers.IntegerField(
        source="period.count", help_text=_("сколько периодичностей в периоде")
    )
    service_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("цена сервиса, ₸ (затраты партнера)")
    )
    price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text=_("цена партнера на день, ₸ (платит абонент): своя или цена сервиса"),
    )
    is_own = serializers.BooleanField(
        help_text=_("true — действует своя цена организации, false — цена сервиса")
    )
    own_price_from = serializers.DateField(
        source="own_from",
        allow_null=True,
        help_text=_("с какого дня действует своя цена; null — действует цена сервиса"),
    )


class PriceListSerializer(serializers.Serializer):
    date = serializers.DateField(help_text=_("день, на который показаны цены"))
    prices = PriceListRowSerializer(many=True)
