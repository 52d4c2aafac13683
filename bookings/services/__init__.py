"""Every write to a booking goes through one of these functions, whichever door it comes in by.

The modules: inputs (what a booking or line asks for), create, form_rules (what may be
asked), decisions (approve, deny, cancel, status by name), front_desk, details (customer,
contact, title, note, flags), payments, lines, change_requests, customers, links (a lost
manage link sent again), automatic (reminders and no-shows on a schedule), webhooks
(endpoints, a delivery sent again), catalogue (catalogue writes that protect bookings),
common (lock, freshness, move, log, price, fit, notify).
"""

from bookings.services.change_requests import (
    change_request_approve,
    change_request_deny,
    change_request_submit,
    change_request_withdraw,
)
from bookings.services.common import Notice
from bookings.services.create import booking_create
from bookings.services.customers import (
    CustomerIn,
    customer_delete,
    customer_find_or_create,
    customer_save,
)
from bookings.services.decisions import (
    booking_approve,
    booking_cancel,
    booking_deny,
    booking_set_status,
)
from bookings.services.details import booking_update
from bookings.services.front_desk import (
    booking_arrive,
    booking_mark_no_show,
    booking_release,
    booking_seat,
)
from bookings.services.inputs import (
    ContactIn,
    CreatedBooking,
    EventLineIn,
    ProductLineIn,
    SpaceLineIn,
)
from bookings.services.lines import (
    SavedLine,
    event_line_save,
    line_remove,
    product_line_save,
    space_line_save,
)
from bookings.services.links import manage_links_send
from bookings.services.payments import payment_record
from bookings.services.webhooks import (
    EndpointWithSecret,
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

__all__ = [
    "ContactIn",
    "EndpointWithSecret",
    "CreatedBooking",
    "CustomerIn",
    "EventLineIn",
    "Notice",
    "ProductLineIn",
    "SavedLine",
    "SpaceLineIn",
    "booking_approve",
    "booking_arrive",
    "booking_cancel",
    "booking_create",
    "booking_deny",
    "booking_mark_no_show",
    "booking_release",
    "booking_seat",
    "booking_set_status",
    "booking_update",
    "change_request_approve",
    "change_request_deny",
    "change_request_submit",
    "change_request_withdraw",
    "customer_delete",
    "customer_find_or_create",
    "customer_save",
    "event_line_save",
    "line_remove",
    "manage_links_send",
    "payment_record",
    "product_line_save",
    "space_line_save",
    "webhook_delivery_retry",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_update",
]
