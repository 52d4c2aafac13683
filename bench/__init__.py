"""Venuedesk's benchmark suite: a seed at scale and `make bench` (not collected by pytest)."""
