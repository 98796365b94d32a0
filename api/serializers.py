"""What the API returns: subscribers, limits, subscriptions with their extensions."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, Status, Subscription


class SubscriberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscriber
        fields = ["id", "code", "name", "bin_iin", "city", "email", "phone"]
        read_only_fields = fields


class LimitsQuerySerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text=_("День, на который считать лимиты (ГГГГ-ММ-ДД); по умолчанию — сегодня."),
        error_messages={
            "invalid": _("Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."),
            "datetime": _("Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."),
        },
    )


class LimitsSerializer(serializers.Serializer):
    subscriber = serializers.IntegerField(help_text=_("id абонента"))
    date = serializers.DateField(help_text=_("день, на который посчитаны лимиты"))
    sessions = serializers.IntegerField(help_text=_("сеансов: тарифы + «Дополнительный сеанс»"))
    infobases = serializers.IntegerField(
        help_text=_("информационных баз: тарифы + «Дополнительная база»")
    )


class _DocumentSerializer(serializers.ModelSerializer):
    tariff = serializers.CharField(source="tariff.name", help_text=_("наименование тарифа"))
    period = serializers.CharField(source="period.label", help_text=_("период действия"))
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
    type = serializers.SerializerMethodField(help_text=_("base — основная, renewal — продлевающая"))
    renews = serializers.CharField(
        source="renews.number", allow_null=True, help_text=_("номер продлеваемой подписки")
    )
    extensions = ExtensionSerializer(many=True, source="api_extensions")

    class Meta:
        model = Subscription
        fields = [
            "id",
            "number",
            "type",
            "type_label",
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

    @extend_schema_field(serializers.ChoiceField(choices=["base", "renewal"]))
    def get_type(self, obj) -> str:
        return "renewal" if obj.renews_id else "base"
