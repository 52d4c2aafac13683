"""The app's URLs plus the bench's baselines under /bench/."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/hello", views.hello),
    path("bench/raw-list", views.raw_list),
    *app_urlpatterns,
]
