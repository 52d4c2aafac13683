"""/api/v1/ routes (with or without a trailing slash): the bookings, the catalogue, webhooks."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from api.bookings.lines import EventBookingViewSet, InventoryBookingViewSet
from api.bookings.public import PublicBookingView, PublicChangeRequestView
from api.bookings.views import BookingViewSet, ChangeRequestViewSet
from api.catalogue import views as catalogue
from api.webhooks import WebhookEndpointViewSet

router = SimpleRouter()
router.trailing_slash = "/?"  # DRF's documented way to accept both forms
router.register("bookings/events", EventBookingViewSet, basename="event-booking")
router.register(
    "bookings/inventory-products", InventoryBookingViewSet, basename="inventory-booking"
)
router.register("bookings", BookingViewSet, basename="booking")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")
router.register("venues", catalogue.VenueViewSet, basename="venue")
router.register("spaces", catalogue.SpaceViewSet, basename="space")
router.register("blockouts", catalogue.BlockoutViewSet, basename="blockout")
router.register("events", catalogue.EventViewSet, basename="event")
router.register(
    "inventory-products", catalogue.InventoryProductViewSet, basename="inventory-product"
)
router.register("prices", catalogue.PriceViewSet, basename="price")
router.register("vat-rates", catalogue.VatRateViewSet, basename="vat-rate")
router.register("discounts", catalogue.DiscountViewSet, basename="discount")
router.register("payment-types", catalogue.PaymentTypeViewSet, basename="payment-type")
router.register("booking-forms", catalogue.BookingFormViewSet, basename="booking-form")
router.register("customers", catalogue.CustomerViewSet, basename="customer")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("public/bookings", PublicBookingView.as_view(), name="public-booking"),
    path("public/change-requests", PublicChangeRequestView.as_view(), name="public-change"),
    *router.urls,
]
