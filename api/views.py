"""The read-only API: an organization's subscribers, their limits and subscriptions.

Every query starts from the token's organization, so another organization's
subscriber is a 404, as in the cabinet. Each endpoint runs a fixed number of
queries whatever the number of rows (select_related / prefetch).
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from subscribers.models import Subscriber
from subscribers.selectors import subscriber_search_q
from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Subscription
from subscriptions.selectors import subscriber_limits

from .serializers import (
    LimitsQuerySerializer,
    LimitsSerializer,
    SubscriberSerializer,
    SubscriptionSerializer,
)


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _organization(request):
    return request.auth.organization


SUBSCRIBER_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("id абонента")
)


@extend_schema_view(
    list=extend_schema(
        summary=_("Обслуживаемые абоненты"),
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description=_("Поиск: часть наименования, начало кода абонента или БИН/ИИН."),
            )
        ],
    ),
    retrieve=extend_schema(summary=_("Абонент"), parameters=[SUBSCRIBER_ID]),
)
class SubscriberViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SubscriberSerializer
    pagination_class = ApiPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model
            return Subscriber.objects.none()
        queryset = Subscriber.objects.for_organization(_organization(self.request)).order_by(
            "name", "pk"
        )
        if self.action == "list":
            query = self.request.query_params.get("q", "")
            if "\x00" in query:
                # PostgreSQL cannot compare with a NUL character: a 400, never a 500.
                raise ValidationError({"q": [_("Строка поиска не может содержать символ NUL.")]})
            queryset = queryset.filter(subscriber_search_q(query))
        return queryset

    @extend_schema(
        summary=_("Лимиты абонента на день"),
        parameters=[SUBSCRIBER_ID, LimitsQuerySerializer],
        responses=LimitsSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def limits(self, request, pk=None):
        subscriber = self.get_object()
        query = LimitsQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        day = query.validated_data.get("date") or clock.today()
        limits = subscriber_limits(subscriber, day)
        data = {
            "subscriber": subscriber.pk,
            "date": day,
            "sessions": limits.sessions,
            "infobases": limits.infobases,
        }
        return Response(LimitsSerializer(data).data)

    @extend_schema(
        summary=_("Подписки абонента на тарифы с расширениями"),
        parameters=[SUBSCRIBER_ID],
        responses=SubscriptionSerializer(many=True),
    )
    @action(detail=True, methods=["get"], serializer_class=SubscriptionSerializer)
    def subscriptions(self, request, pk=None):
        subscriber = self.get_object()
        extensions = ExtensionSubscription.objects.select_related("tariff", "period").order_by(
            "starts_on", "pk"
        )
        bases = (
            Subscription.objects.filter(subscriber=subscriber)
            .select_related("tariff", "period", "renews")
            .prefetch_related(Prefetch("extensions", queryset=extensions, to_attr="api_extensions"))
            .order_by("-starts_on", "-pk")
        )
        page = self.paginate_queryset(bases)
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)
