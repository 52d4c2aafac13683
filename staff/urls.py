"""The staff pages' addresses, under /staff/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from staff.views.calendar import calendar
from staff.views.phone import phone_booking

app_name = "staff"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=False),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("calendar/", calendar, name="calendar"),
    path("bookings/new/", phone_booking, name="phone-booking"),
]
