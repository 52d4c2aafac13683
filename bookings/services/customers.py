"""Customer writes: the API's customer records, and the match-or-create of a booking's customer."""

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet, Value
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from bookings.models import Customer
from bookings.services.common import check_fields
from core.actors import Actor
from core.errors import ErrorCode, InUse
from core.permissions import Action, require
from venues.models import Organization

CUSTOMER_FIELDS = (  # in the order the API shows them
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "vat_number",
    "address",
    "postal_code",
    "city",
    "country",
    "notes",
)


@dataclass
class CustomerIn:
    """A customer as the form or API gives them; matched by e-mail within the organisation."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""


def customers_by_email(organization: Organization, email: str) -> QuerySet[Customer]:
    """The organisation's customers with this e-mail, whatever its case (as the database
    lowercases it: the index bookings_customer_email_ci serves this)."""
    return (
        Customer.objects.filter(organization=organization)
        .alias(email_key=Lower("email"))
        .filter(email_key=Lower(Value(email)))
        .order_by()  # (not by name: the index on names would serve the order instead)
    )


def customer_find_or_create(*, organization: Organization, customer: CustomerIn) -> Customer:
    """The organisation's customer with this e-mail (case-insensitive), or a new one.

    An existing customer keeps their details; the booking's contact fields carry what
    differs for this booking.
    """
    email = customer.email.strip()
    if email:
        # The first of them, picked here: with ORDER BY id LIMIT 1 the planner may walk
        # the primary key instead of the e-mail index, through every customer.
        existing = min(customers_by_email(organization, email), key=attrgetter("pk"), default=None)
        if existing is not None:
            return existing
    new = Customer(
        organization=organization,
        first_name=customer.first_name.strip(),
        last_name=customer.last_name.strip(),
        email=email,
        phone=customer.phone.strip(),
        company=customer.company.strip(),
    )
    if not (new.first_name or new.last_name or new.company):
        raise ValidationError({"customer.last_name": _("Give a name or a company.")})
    try:
        check_fields(new)  # the name rule above is the database's one check constraint
    except ValidationError as error:
        raise ValidationError(
            {f"customer.{name}": messages for name, messages in error.message_dict.items()}
        ) from None
    new.save()
    return new


@transaction.atomic
def customer_save(*, actor: Actor, customer: Customer, changes: Mapping[str, Any]) -> Customer:
    """Create (an unsaved `customer` of its organisation) or change a customer's record.

    Rules: front-desk staff or a `write` key; a name or a company. Bookings keep the
    contact details they were made with (their own contact fields).
    """
    require(actor, Action.WRITE, customer.organization)
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"Customer fields not editable here: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(customer, name, value.strip() if name != "notes" else value)
    if not (customer.first_name or customer.last_name or customer.company):
        raise ValidationError({"last_name": _("Give a name or a company.")})
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_delete(*, actor: Actor, customer: Customer) -> None:
    """Delete a customer without bookings; one with bookings stays (its history is kept)."""
    require(actor, Action.WRITE, customer.organization)
    refusal = InUse(
        "The customer has bookings and cannot be deleted.", code=ErrorCode.CUSTOMER_HAS_BOOKINGS
    )
    if customer.bookings.exists():
        raise refusal
    try:
        with transaction.atomic():
            customer.delete()
    except ProtectedError:  # a booking arrived meanwhile
        raise refusal from None
