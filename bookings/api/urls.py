"""/api/v1/ routes (with or without a trailing slash)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from bookings.api.lines import EventBookingViewSet, InventoryBookingViewSet
from bookings.api.public import PublicBookingView, PublicChangeRequestView
from bookings.api.views import BookingViewSet, ChangeRequestViewSet
from venues.api.urls import register_catalogue

router = SimpleRouter()
router.trailing_slash = "/?"  # DRF's documented way to accept both forms
router.register("bookings/events", EventBookingViewSet, basename="event-booking")
router.register(
    "bookings/inventory-products", InventoryBookingViewSet, basename="inventory-booking"
)
router.register("bookings", BookingViewSet, basename="booking")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")
register_catalogue(router)

urlpatterns = [
    path("public/bookings", PublicBookingView.as_view(), name="public-booking"),
    path("public/change-requests", PublicChangeRequestView.as_view(), name="public-change"),
    *router.urls,
]
