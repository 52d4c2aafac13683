"""The app's settings plus what the benchmarks need: a query counter and bench URLs."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

# Outermost, so that every query of a request (session, user, key) is counted.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
