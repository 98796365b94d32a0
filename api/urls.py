from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from .views import PriceListView, SubscriberViewSet

router = SimpleRouter()
router.register("subscribers", SubscriberViewSet, basename="api-subscriber")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/price-list/", PriceListView.as_view(), name="api-price-list"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its script from a URL: no inline script, as the CSP requires.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
