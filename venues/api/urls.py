"""Catalogue and customer routes, registered on the API's router."""

from venues.api import views


def register_catalogue(router) -> None:
    """Register the catalogue and customer viewsets (venues, spaces, events, …) on `router`."""
    router.register("venues", views.VenueViewSet, basename="venue")
    router.register("spaces", views.SpaceViewSet, basename="space")
    router.register("blockouts", views.BlockoutViewSet, basename="blockout")
    router.register("events", views.EventViewSet, basename="event")
    router.register(
        "inventory-products", views.InventoryProductViewSet, basename="inventory-product"
    )
    router.register("prices", views.PriceViewSet, basename="price")
    router.register("vat-rates", views.VatRateViewSet, basename="vat-rate")
    router.register("discounts", views.DiscountViewSet, basename="discount")
    router.register("payment-types", views.PaymentTypeViewSet, basename="payment-type")
    router.register("booking-forms", views.BookingFormViewSet, basename="booking-form")
    router.register("customers", views.CustomerViewSet, basename="customer")
