"""The staff pages' addresses, under /staff/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from staff.views import booking, calendar, change_request, dashboard, front_desk, phone, queue

app_name = "staff"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("requests/", queue.queue, name="queue"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=False),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("bookings/<int:booking_id>/", booking.booking_page, name="booking"),
    path("bookings/<int:booking_id>/approve/", booking.booking_approve, name="booking-approve"),
    path("bookings/<int:booking_id>/deny/", booking.booking_deny, name="booking-deny"),
    path("bookings/<int:booking_id>/cancel/", booking.booking_cancel, name="booking-cancel"),
    path("bookings/<int:booking_id>/note/", booking.booking_note, name="booking-note"),
    path("bookings/<int:booking_id>/payment/", booking.booking_payment, name="booking-payment"),
    path(
        "change-requests/<int:request_id>/",
        change_request.change_request_page,
        name="change-request",
    ),
    path(
        "change-requests/<int:request_id>/decide/",
        change_request.change_request_decide,
        name="change-request-decide",
    ),
    path("front-desk/", front_desk.front_desk, name="front-desk"),
    path("front-desk/<int:venue_id>/", front_desk.front_desk_venue, name="front-desk-venue"),
    path(
        "front-desk/<int:venue_id>/bookings/<int:booking_id>/<slug:move>/",
        front_desk.front_desk_move,
        name="front-desk-move",
    ),
    path("calendar/", calendar.calendar, name="calendar"),
    path("bookings/new/", phone.phone_booking, name="phone-booking"),
    path("bookings/new/free/", phone.phone_windows, name="phone-windows"),
    path("bookings/new/customers/", phone.phone_customers, name="phone-customers"),
    path("bookings/new/estimate/", phone.phone_estimate, name="phone-estimate"),
]
