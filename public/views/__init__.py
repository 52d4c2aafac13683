"""The customer's pages, one module per part of their journey: `book` (the booking form and
its confirmation), `manage` (the private manage page and its .ics), `change` (a change or
a cancellation asked through it, and a request withdrawn) and `links` (a lost link sent
again)."""
