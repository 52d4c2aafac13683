"""Core holds no tables; this module lets Django signal it after migrations (core.cache)."""
