"""The read-only API: an organization's subscribers, their limits and subscriptions,
and its price list.

Every query starts from the token's organization, so another organization's
subscriber is a 404, as in the cabinet. Each endpoint runs a fixed number of
queries whatever the number of rows (select_related / prefetch).

The OpenAPI document is the contract: each operation lists every answer it
gives (200, and the refusals 400, 401, 404, 406 with their bodies), and
accepts exactly the query parameters it documents — an unknown, repeated or
malformed one is a 400 that names it, so a typo (`?dat=…`) is never answered
as if the parameter were absent. Every refusal is in Russian and says what to do.
"""

import re

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors import price_list
from subscribers.models import Subscriber
from subscribers.selectors import subscriber_search_q
from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Subscription
from subscriptions.selectors import subscriber_limits

from .serializers import (
    ErrorSerializer,
    LimitsQuerySerializer,
    LimitsSerializer,
    PageQuerySerializer,
    ParameterErrorsSerializer,
    PriceListQuerySerializer,
    PriceListSerializer,
    QuerySerializer,
    SubscriberListQuerySerializer,
    SubscriberSerializer,
    SubscriptionSerializer,
)


class ApiPagination(PageNumberPagination):
    """Pages of 50 rows, `page_size` up to 200; PageQuerySerializer checks the parameters."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # `page` is a number, as the document says
    invalid_page_message = _(
        "Страницы {page_number} нет: начните с первой и переходите по ссылкам next и previous."
    )


class ApiContentNegotiation(DefaultContentNegotiation):
    """JSON only, chosen by the Accept header; an unacceptable one is a 406 in Russian.

    `?format=` picks nothing here: it is not a parameter of this API and is
    refused as an unknown one, like any other.
    """

    def filter_renderers(self, renderers, format):
        return renderers

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            raise exceptions.NotAcceptable(
                _(
                    "Ответ API — только JSON: пришлите Accept: application/json "
                    "или не присылайте Accept."
                )
            ) from None


def validated_query(request, serializer_class: type[QuerySerializer]) -> dict:
    """The request's query parameters checked by `serializer_class`, or a 400 naming each bad one.

    A parameter the serializer does not name, or one given twice, is refused
    before the values are read: silently ignoring it would answer a question
    the client did not ask.
    """
    params = request.query_params
    accepted = list(serializer_class().fields)
    errors = {}
    for name in params:
        if name not in accepted:
            if accepted:
                message = _("Неизвестный параметр: у этого запроса есть только %(names)s.") % {
                    "names": ", ".join(accepted)
                }
            else:
                message = _("Неизвестный параметр: у этого запроса параметров нет.")
            errors[name] = [message]
        elif len(params.getlist(name)) > 1:
            errors[name] = [_("Параметр указан несколько раз: укажите его один раз.")]
    if errors:
        raise exceptions.ValidationError(errors)
    serializer = serializer_class(data=params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _organization(request):
    return request.auth.organization


def _responses(ok, ok_description: str, *, paged=False, one_subscriber=False) -> dict:
    """The 200 of an operation and every refusal it can give, with their bodies."""
    not_found = []
    if one_subscriber:
        not_found.append("абонента с таким id нет в вашей организации")
    if paged:
        not_found.append("страницы с таким номером нет")
    responses = {
        200: OpenApiResponse(ok, description=ok_description),
        400: OpenApiResponse(
            ParameterErrorsSerializer,
            description="Неизвестный, повторенный или неверный параметр запроса.",
        ),
        401: OpenApiResponse(
            ErrorSerializer,
            description="Нет ключа API, ключ неверен или отозван "
            "(заголовок WWW-Authenticate: Bearer).",
        ),
        406: OpenApiResponse(ErrorSerializer, description="Заголовок Accept не допускает JSON."),
    }
    if not_found:
        responses[404] = OpenApiResponse(
            ErrorSerializer, description="; ".join(not_found).capitalize() + "."
        )
    return dict(sorted(responses.items()))


class ApiViewMixin:
    """What every operation of this API shares: JSON only, and its refusals in Russian
    (401 without a key, 405 for a method other than GET)."""

    # JSON only, also under DEBUG: the browsable API cannot send a key anyway.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ApiContentNegotiation

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated(
                _(
                    "Нужен ключ API: пришлите заголовок «Authorization: Bearer <ключ>». "
                    "Ключ создает владелец организации в кабинете, «Ключи API»."
                )
            )
        super().permission_denied(request, message=message, code=code)

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(
            request.method,
            detail=_(
                "Метод %(method)s не поддерживается: API только читает данные, используйте GET."
            )
            % {"method": request.method},
        )


SUBSCRIBER_ID_DIGITS = re.compile(r"[0-9]+")
SUBSCRIBER_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("id абонента")
)


@extend_schema_view(
    list=extend_schema(
        summary=_("Обслуживаемые абоненты"),
        parameters=[SubscriberListQuerySerializer],
        responses=_responses(
            SubscriberSerializer(many=True),
            "Страница абонентов вашей организации, по наименованию.",
            paged=True,
        ),
    ),
    retrieve=extend_schema(
        summary=_("Абонент"),
        parameters=[SUBSCRIBER_ID],
        responses=_responses(SubscriberSerializer, "Абонент.", one_subscriber=True),
    ),
)
class SubscriberViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SubscriberSerializer
    pagination_class = ApiPagination
    # Any id reaches the view, so that a malformed one («0.5», « 1») is this API's JSON
    # 404 like an unknown one, not the site's HTML page nor a lenient int(" 1").
    lookup_value_regex = "[^/]+"
    # The query parameters each operation accepts (the OpenAPI document lists the same).
    query_serializers = {
        "list": SubscriberListQuerySerializer,
        "retrieve": QuerySerializer,
        "limits": LimitsQuerySerializer,
        "subscriptions": PageQuerySerializer,
    }

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the key first: without one, a 401
        self.query = {}
        if self.action in self.query_serializers:
            self.query = validated_query(request, self.query_serializers[self.action])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model
            return Subscriber.objects.none()
        queryset = Subscriber.objects.for_organization(_organization(self.request)).order_by(
            "name", "pk"
        )
        if self.action == "list":
            queryset = queryset.filter(subscriber_search_q(self.query.get("q", "")))
        return queryset

    def get_object(self):
        try:
            if not SUBSCRIBER_ID_DIGITS.fullmatch(self.kwargs[self.lookup_field]):
                raise Http404
            return super().get_object()
        except Http404:
            raise exceptions.NotFound(
                _(
                    "Абонент не найден: проверьте id — ключ открывает только абонентов "
                    "своей организации."
                )
            ) from None

    @extend_schema(
        summary=_("Лимиты абонента на день"),
        parameters=[SUBSCRIBER_ID, LimitsQuerySerializer],
        responses=_responses(
            LimitsSerializer, "Сеансы и информационные базы абонента на день.", one_subscriber=True
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def limits(self, request, pk=None):
        subscriber = self.get_object()
        day = self.query.get("date") or clock.today()
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
        parameters=[SUBSCRIBER_ID, PageQuerySerializer],
        responses=_responses(
            SubscriptionSerializer(many=True),
            "Страница подписок на тарифы, новые первыми, с их расширениями.",
            paged=True,
            one_subscriber=True,
        ),
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


class PriceListView(ApiViewMixin, APIView):
    """The organization's price list on a day (today by default): every offered period of
    every offered tariff, the service's price and the organization's own (R16)."""

    @extend_schema(
        operation_id="price_list",
        summary=_("Прайс-лист организации на день"),
        parameters=[PriceListQuerySerializer],
        responses=_responses(
            PriceListSerializer,
            "Цены партнера и сервиса по всем предлагаемым периодам тарифов на день.",
        ),
    )
    def get(self, request):
        query = validated_query(request, PriceListQuerySerializer)
        day = query.get("date") or clock.today()
        rows = price_list(_organization(request), day)
        return Response(PriceListSerializer({"date": day, "prices": rows}).data)
