"""The customer's pages, one module per part of their journey: `book` (the booking form and
its confirmation), `manage` (the private manage page, its .ics and requests) and `links`
(a lost link sent again)."""
