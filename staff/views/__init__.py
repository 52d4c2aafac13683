"""The staff pages, one module per page: each view reads through the selectors, offers what
the one permission policy allows, and changes a booking only through a service."""
