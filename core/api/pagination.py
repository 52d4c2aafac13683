"""Page-number pagination with `page` and `per_page` (capped, so no page is too large)."""

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 25
    page_query_param = "page"
    page_size_query_param = "per_page"
    max_page_size = 200
