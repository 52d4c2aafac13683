"""The staff pages' addresses, under /staff/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from staff.views import front_desk

app_name = "staff"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=False),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("front-desk/", front_desk.front_desk, name="front-desk"),
    path("front-desk/<int:venue_id>/", front_desk.front_desk_venue, name="front-desk-venue"),
    path(
        "front-desk/<int:venue_id>/bookings/<int:booking_id>/<slug:move>/",
        front_desk.front_desk_move,
        name="front-desk-move",
    ),
]
