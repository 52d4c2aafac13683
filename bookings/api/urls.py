"""/api/v1/ routes (with or without a trailing slash)."""

from rest_framework.routers import SimpleRouter

from bookings.api.views import BookingViewSet

router = SimpleRouter()
router.trailing_slash = "/?"  # DRF's documented way to accept both forms
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = router.urls
