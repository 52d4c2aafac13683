"""What a customer does from the manage page: ask for a change, cancel, withdraw a request."""

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bookings import services
from bookings.models import BookingStatus, ChangeRequest, LogEntry, Notification
from bookings.services import ProductLineIn, SpaceLineIn
from tests import factories as f
from tests.bookings import conftest as booking_world

pytestmark = pytest.mark.django_db

world = booking_world.world
at = booking_world.at


def request_the_room(world, start="2030-03-04 10:00", end="2030-03-04 12:00", **extra):
    return world.book_as_customer(
        space_lines=[SpaceLineIn(space=world.room, starts_at=at(start), ends_at=at(end), places=8)],
        **extra,
    )


def approved(world, created):
    services.booking_approve(actor=world.actors["approver"], booking=created.booking)
    return created


class FormValues(HTMLParser):
    """What a browser would send for the page's main form as it stands (checked radios,
    typed values, selected options), so that a test changes only what a person would."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None
        self._in_main_form = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "booking-form" in (attrs.get("class") or ""):
            self._in_main_form = True
        if not self._in_main_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit",):
            if attrs.get("type") in ("radio", "checkbox"):
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            else:
                self.values[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_main_form = False


def change_url(created) -> str:
    return f"/manage/{created.manage_token}/change/"


def send_change(client, created, **changed):
    """Open the change page, change the fields named, send it."""
    values = FormValues(client.get(change_url(created)).content.decode()).values
    values.pop("csrfmiddlewaretoken", None)
    return client.post(change_url(created), {**values, "action": "change", **changed})


def manage_page(client, created) -> str:
    return client.get(f"/manage/{created.manage_token}/").content.decode()


def the_line(created):
    return created.booking.space_bookings.get()


# -- the change page ------------------------------------------------------------------------------


def test_the_change_page_is_prefilled_from_the_booking_and_says_the_change_applies_at_once(
    client, world
):
    created = request_the_room(world, contact=services.ContactIn(name="Gina G", email="g@x.es"))
    response = client.get(change_url(created))
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    page = response.content.decode()
    values = FormValues(page).values
    assert values["space"] == str(world.room.pk)
    assert (values["day"], values["minutes"], values["places"]) == ("2030-03-04", "120", "8")
    assert values["slot"] == "2030-03-04T10:00:00+01:00"
    assert (values["contact_name"], values["contact_email"]) == ("Gina G", "g@x.es")
    assert "booked now" in page
    assert "applies at once" in page
    assert "Europe/Madrid" in page


def test_a_change_while_pending_applies_at_once_and_the_manage_page_says_so(client, world):
    created = request_the_room(world)

    response = send_change(client, created, slot="2030-03-04T14:00:00+01:00")

    assert response.status_code == 302
    assert response["Location"] == f"/manage/{created.manage_token}/"
    line = the_line(created)
    assert (line.starts_at, line.ends_at) == (at("2030-03-04 14:00"), at("2030-03-04 16:00"))
    page = manage_page(client, created)
    assert "Your booking was changed." in page
    assert "Mon 4 Mar 2030, 14:00–16:00" in page
    assert "Change made" in page
    [entry] = created.booking.log_entries.filter(action=LogEntry.Action.CHANGE_APPLIED)
    assert entry.data["changes"] == {
        "space_lines": [
            {
                "id": line.pk,
                "starts_at": "2030-03-04T14:00:00+01:00",
                "ends_at": "2030-03-04T16:00:00+01:00",
            }
        ]
    }
    assert Notification.objects.filter(
        booking=created.booking, kind=Notification.Kind.CHANGE_APPROVED
    ).exists()


def test_only_what_differs_is_asked_for(client, world):
    created = request_the_room(world)

    assert send_change(client, created, places="12", contact_phone="+34 600 2").status_code == 302

    [change] = created.booking.change_requests.all()
    assert change.changes == {
        "space_lines": [{"id": the_line(created).pk, "places": 12}],
        "contact": {"contact_phone": "+34 600 2"},
    }


def test_a_change_while_approved_waits_for_the_venue_and_can_be_withdrawn(client, world):
    created = approved(world, request_the_room(world))
    page = client.get(change_url(created)).content.decode()
    assert "keeps its current time until the venue decides" in page

    response = send_change(
        client, created, slot="2030-03-04T10:30:00+01:00", request_note="Running late"
    )

    assert response.status_code == 302
    line = the_line(created)
    assert (line.starts_at, line.ends_at) == (at("2030-03-04 10:00"), at("2030-03-04 12:00"))
    [change] = created.booking.change_requests.all()
    assert change.status == ChangeRequest.Status.PENDING
    page = manage_page(client, created)
    assert "Your change request was sent." in page
    assert "Your change request</h3>" in page
    assert "Mon 4 Mar 2030, 10:30–12:30" in page  # what was asked, in the venue's time
    assert "Running late" in page
    assert f"/requests/{change.pk}/withdraw/" in page

    response = client.post(f"/manage/{created.manage_token}/requests/{change.pk}/withdraw/")

    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.WITHDRAWN
    page = manage_page(client, created)
    assert "Your change request was withdrawn." in page
    assert "/withdraw/" not in page
    assert "Change request withdrawn" in page  # in the history


def test_once_the_venue_accepts_the_change_the_manage_page_shows_the_new_time(client, world):
    created = approved(world, request_the_room(world))
    send_change(client, created, slot="2030-03-04T15:00:00+01:00")
    services.change_request_approve(
        actor=world.actors["approver"],
        change_request=created.booking.change_requests.get(),
        notice=services.Notice(message="See you at three."),
    )
    page = manage_page(client, created)
    assert "Mon 4 Mar 2030, 15:00–17:00" in page
    assert "Mon 4 Mar 2030, 10:00–12:00" not in page
    assert "Change accepted by the venue" in page
    assert "See you at three." in page
    assert "Your change request</h3>" not in page


def test_an_open_request_is_named_on_the_change_page_and_a_new_one_replaces_it(client, world):
    created = approved(world, request_the_room(world))
    send_change(client, created, places="9")
    page = client.get(change_url(created)).content.decode()
    assert "it replaces that request" in page

    send_change(client, created, places="10")

    first, second = created.booking.change_requests.order_by("pk")
    assert (first.status, second.status) == ("withdrawn", "pending")
    assert "Request replaced by your newer one" in manage_page(client, created)


def test_the_slots_for_an_approved_booking_are_not_blocked_by_its_own_time(client, world):
    created = approved(world, request_the_room(world))
    response = client.get(
        f"/manage/{created.manage_token}/change/slots/",
        {"space": world.room.pk, "day": "2030-03-04", "minutes": 120, "places": 8},
    )
    slots = re.findall(r'value="(2030-03-04T[0-9:]+)\+01:00"', response.content.decode())
    assert {"2030-03-04T10:00:00", "2030-03-04T10:30:00", "2030-03-04T09:30:00"} <= set(slots)
    # Someone else still sees it taken.
    other = request_the_room(world, start="2030-03-05 10:00", end="2030-03-05 12:00")
    response = client.get(
        f"/manage/{other.manage_token}/change/slots/",
        {"space": world.room.pk, "day": "2030-03-04", "minutes": 120, "places": 8},
    )
    assert "2030-03-04T10:30:00" not in response.content.decode()


def test_showing_free_times_for_another_day_keeps_what_was_typed_and_shows_no_error(client, world):
    created = request_the_room(world)
    values = FormValues(client.get(change_url(created)).content.decode()).values
    values.update(day="2030-03-06", contact_phone="+34 999", action="slots")

    response = client.post(change_url(created), values)

    assert response.status_code == 200
    page = response.content.decode()
    assert "error-summary" not in page
    assert "Free times on Wednesday 6 March 2030" in page
    assert 'value="+34 999"' in page
    assert created.booking.change_requests.count() == 0


def test_a_slot_taken_meanwhile_is_named_on_the_slot_with_fresh_slots_and_nothing_written(
    client, world
):
    created = request_the_room(world)
    values = FormValues(client.get(change_url(created)).content.decode()).values
    world.book(start="2030-03-04 14:00", end="2030-03-04 16:00", approve=True)  # meanwhile
    log_before = created.booking.log_entries.count()

    response = client.post(
        change_url(created), {**values, "slot": "2030-03-04T14:00:00+01:00", "action": "change"}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "<title>Error:" in page
    assert 'href="#id_slot_0"' in page
    assert "Sorry, this time was just taken. Please choose another." in page
    assert 'id="id_slot_error"' in page
    assert 'value="2030-03-04T14:00:00+01:00"' not in page  # fresh slots
    assert 'value="2030-03-04T16:00:00+01:00"' in page
    line = the_line(created)
    assert line.starts_at == at("2030-03-04 10:00")
    assert created.booking.change_requests.count() == 0
    assert created.booking.log_entries.count() == log_before


def test_a_new_day_without_a_new_time_asks_for_a_time_on_that_day(client, world):
    created = request_the_room(world)
    response = send_change(client, created, day="2030-03-06")  # the old day's slot still ticked
    assert response.status_code == 400
    assert "Choose a time on Wednesday 6 March 2030." in response.content.decode()


def test_a_bad_contact_email_and_a_bad_answer_are_named_on_their_fields(client, world):
    f.CustomFieldFactory(
        form=world.form,
        key="member",
        label="Member number",
        regex=r"[A-Z]{2}[0-9]+",
        regex_message="Give your member number, like AB123.",
    )
    created = request_the_room(world, answers={"member": "AB1"})
    assert FormValues(client.get(change_url(created)).content.decode()).values["answer_member"] == (
        "AB1"
    )

    response = send_change(client, created, contact_email="not-an-address", answer_member="12")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter an e-mail address like name@example.com." in page
    assert "Give your member number, like AB123." in page
    assert re.search(r'<input[^>]*name="contact_email"[^>]*aria-invalid="true"', page)
    assert re.search(
        r'<input[^>]*name="contact_email"[^>]*aria-describedby="[^"]*id_contact_email_error', page
    )
    assert 'href="#id_answer_member"' in page
    assert created.booking.change_requests.count() == 0


def test_a_changed_answer_is_sent_alone_and_a_cleared_one_as_none(client, world):
    f.CustomFieldFactory(form=world.form, key="member", label="Member number")
    f.CustomFieldFactory(form=world.form, key="diet", label="Diet")
    created = request_the_room(world, answers={"member": "AB1", "diet": "vegan"})

    assert send_change(client, created, answer_member="AB2", answer_diet="").status_code == 302

    [change] = created.booking.change_requests.all()
    assert change.changes == {"answers": {"member": "AB2", "diet": None}}
    created.booking.refresh_from_db()
    assert created.booking.answers == {"member": "AB2"}


def test_sending_the_form_unchanged_says_nothing_has_changed(client, world):
    created = request_the_room(world)
    response = send_change(client, created, request_note="Just saying hello")
    assert response.status_code == 400
    assert "Nothing has changed" in response.content.decode()
    assert created.booking.change_requests.count() == 0


def test_a_service_refusal_is_named_on_the_field_it_concerns(client, world):
    created = request_the_room(world)
    world.form.max_duration_minutes = 60  # the venue shortened what the form takes
    world.form.save()
    response = send_change(client, created, slot="2030-03-04T11:00:00+01:00")
    # 2 h is no longer on the form's list: offered only as the booking's own length.
    assert response.status_code == 400
    assert "Book at most 60 minutes." in response.content.decode()


# -- what cannot change online --------------------------------------------------------------------


def test_a_staff_made_booking_offers_details_only_and_names_the_venue_for_times(client, world):
    world.venue.email = "desk@harbour.example"
    world.venue.save()
    created = services.booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=world.room,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
                places=8,
            )
        ],
    )
    page = client.get(change_url(created)).content.decode()
    assert "made with the venue directly" in page
    assert "You can still change your contact details here." in page  # no questions to answer
    assert "mailto:desk@harbour.example" in page
    assert 'name="slot"' not in page

    assert send_change(client, created, contact_phone="+34 611").status_code == 302
    created.booking.refresh_from_db()
    assert created.booking.contact_phone == "+34 611"


def test_extras_booked_for_the_space_time_move_with_it(client, world):
    created = request_the_room(
        world,
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=1,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
            )
        ],
    )
    page = client.get(change_url(created)).content.decode()
    assert 'name="slot"' in page
    response = send_change(client, created, slot="2030-03-04T14:00:00+01:00")
    assert response.status_code == 302
    assert the_line(created).starts_at == at("2030-03-04 14:00")
    extra = created.booking.inventory_bookings.get()
    assert (extra.starts_at, extra.ends_at) == (at("2030-03-04 14:00"), at("2030-03-04 16:00"))


def test_extras_booked_for_other_times_leave_the_move_to_the_venue(client, world):
    created = request_the_room(
        world,
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=1,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 11:00"),
            )
        ],
    )
    page = client.get(change_url(created)).content.decode()
    assert "Extras are booked for other times" in page
    assert 'name="slot"' not in page
    response = send_change(client, created, slot="2030-03-04T14:00:00+01:00")
    assert response.status_code == 400  # the slot is no field here: nothing changed
    assert "Nothing has changed" in response.content.decode()
    assert the_line(created).starts_at == at("2030-03-04 10:00")


def test_a_closed_booking_offers_no_actions_and_refuses_them_with_a_page(client, world):
    created = request_the_room(world)
    services.booking_deny(actor=world.actors["approver"], booking=created.booking)

    page = manage_page(client, created)
    assert "Change or cancel" not in page
    assert "/change/" not in page
    assert "/cancel/" not in page
    response = client.get(change_url(created))
    assert response.status_code == 200
    assert "can no longer be changed" in response.content.decode()
    for path in ("change", "cancel"):
        response = client.post(f"/manage/{created.manage_token}/{path}/", {"places": "3"})
        assert response.status_code == 409
        assert "can no longer be changed" in response.content.decode()
    assert created.booking.change_requests.count() == 0


def test_a_wrong_link_is_a_not_found_page_for_every_action(client, world):
    created = request_the_room(world)
    for method, path in (
        ("get", "/manage/nothing/change/"),
        ("post", "/manage/nothing/change/"),
        ("get", "/manage/nothing/change/slots/"),
        ("get", "/manage/nothing/cancel/"),
        ("post", "/manage/nothing/cancel/"),
        ("post", "/manage/nothing/requests/1/withdraw/"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 404, path
        assert "Booking link not found" in response.content.decode()
    assert created.booking.status == BookingStatus.PENDING


def test_withdrawing_someone_elses_request_is_not_found_and_leaves_it(client, world):
    mine = approved(world, request_the_room(world))
    theirs = approved(world, request_the_room(world, "2030-03-05 10:00", "2030-03-05 12:00"))
    send_change(client, theirs, places="9")
    [their_request] = theirs.booking.change_requests.all()

    response = client.post(f"/manage/{mine.manage_token}/requests/{their_request.pk}/withdraw/")

    assert response.status_code == 404
    their_request.refresh_from_db()
    assert their_request.status == ChangeRequest.Status.PENDING


def test_withdrawing_a_request_decided_meanwhile_says_so(client, world):
    created = approved(world, request_the_room(world))
    send_change(client, created, places="9")
    [change] = created.booking.change_requests.all()
    services.change_request_deny(
        actor=world.actors["approver"],
        change_request=change,
        notice=services.Notice(message="We need the full room set up."),
    )

    response = client.post(f"/manage/{created.manage_token}/requests/{change.pk}/withdraw/")

    assert response.status_code == 302
    page = manage_page(client, created)
    assert "This request is no longer open" in page
    assert "Change declined by the venue" in page
    assert "We need the full room set up." in page


def test_post_forms_need_the_csrf_token(world):
    created = request_the_room(world)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(change_url(created), {"places": "9"}).status_code == 403
    assert strict.post(f"/manage/{created.manage_token}/cancel/").status_code == 403


# -- cancel ---------------------------------------------------------------------------------------


def cancel_url(created) -> str:
    return f"/manage/{created.manage_token}/cancel/"


def test_canceling_a_pending_booking_before_the_deadline_cancels_it(client, world):
    created = request_the_room(world)
    page = client.get(cancel_url(created)).content.decode()
    assert "What will be canceled" in page
    assert "Mon 4 Mar 2030, 10:00–12:00" in page
    # 48 hours before the start, in the venue's time with the zone named.
    assert "You can cancel online until Sat 2 Mar 2030, 10:00 (Europe/Madrid)." in page
    assert ">Cancel booking</button>" in page

    response = client.post(cancel_url(created), {"reason": "Plans changed"})

    assert response.status_code == 302
    created.booking.refresh_from_db()
    assert created.booking.status == BookingStatus.CANCELED
    page = manage_page(client, created)
    assert "Your booking is canceled." in page
    assert "<h1>Booking canceled</h1>" in page
    assert "Change made" not in page  # "Canceled by you" says it
    assert "Canceled by you" in page
    assert "Change or cancel" not in page


def test_past_the_deadline_a_pending_booking_is_not_canceled_online_and_the_page_says_why(
    client, world
):
    world.form.cancellation_deadline_hours = 24 * 365 * 20  # long past for a 2030 booking
    world.form.save()
    created = request_the_room(world)

    page = client.get(cancel_url(created)).content.decode()
    assert re.search(
        r"The time to cancel online ended \w{3} \d+ \w{3} 2010, 10:00 \(Europe/Madrid\)", page
    )
    assert "contact the venue" in page
    assert "<button" not in page.split("</header>")[1]

    response = client.post(cancel_url(created), {"reason": "Please"})
    assert response.status_code == 403
    created.booking.refresh_from_db()
    assert created.booking.status == BookingStatus.PENDING


def test_an_approved_booking_gets_a_cancellation_request_for_the_venue(client, world):
    created = approved(world, request_the_room(world))
    page = client.get(cancel_url(created)).content.decode()
    assert "<h1>Request cancellation</h1>" in page
    assert "stays confirmed until they accept" in page

    response = client.post(cancel_url(created), {"reason": "Flu"})

    assert response.status_code == 302
    created.booking.refresh_from_db()
    assert created.booking.status == BookingStatus.APPROVED
    [request] = created.booking.change_requests.all()
    assert (request.is_cancellation, request.status) == (True, "pending")
    assert request.request_note == "Flu"
    page = manage_page(client, created)
    assert "Your cancellation request was sent." in page
    assert "Your cancellation request</h3>" in page
    assert "Cancellation requested" in page
    assert "Withdraw cancellation request" in page


def test_an_approved_booking_past_the_deadline_may_still_ask(client, world):
    world.form.cancellation_deadline_hours = 24 * 365 * 20
    world.form.save()
    created = approved(world, request_the_room(world))
    page = client.get(cancel_url(created)).content.decode()
    assert "The time to cancel online ended" in page
    assert client.post(cancel_url(created)).status_code == 302
    assert created.booking.change_requests.get().is_cancellation


def test_the_history_names_a_cancellation_accepted_by_the_venue(client, world):
    created = approved(world, request_the_room(world))
    client.post(cancel_url(created))
    services.change_request_approve(
        actor=world.actors["approver"],
        change_request=created.booking.change_requests.get(),
        notice=services.Notice(message="Sorry to see you go."),
    )
    page = manage_page(client, created)
    assert "Cancellation accepted by the venue" in page
    assert "Sorry to see you go." in page


# -- the manage page's actions ------------------------------------------------------------------


def test_the_manage_page_offers_change_and_cancel_in_the_words_of_the_status(client, world):
    created = request_the_room(world)
    page = manage_page(client, created)
    assert f'href="/manage/{created.manage_token}/change/"' in page
    assert ">Change booking</a>" in page
    assert ">Cancel booking</a>" in page
    approved(world, created)
    page = manage_page(client, created)
    assert ">Request a change</a>" in page
    assert ">Request cancellation</a>" in page


def test_the_manage_page_takes_the_same_queries_with_an_open_request_and_a_long_history(
    client, world
):
    def queries_for(created) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/manage/{created.manage_token}/").status_code == 200
        return len(queries)

    short = approved(world, request_the_room(world))
    long = approved(world, request_the_room(world, "2030-03-05 10:00", "2030-03-05 12:00"))
    for booking in (short, long):
        send_change(client, booking, places="9")
    for places in ("10", "11", "12"):
        send_change(client, long, places=places, contact_phone=f"+34 {places}")
    # More lines of every kind on the long one (added by staff).
    for start, end in (("13:00", "14:00"), ("15:00", "16:00")):
        services.space_line_save(
            actor=world.actors["manager"],
            booking=long.booking,
            line=SpaceLineIn(
                space=world.zone,
                starts_at=at(f"2030-03-05 {start}"),
                ends_at=at(f"2030-03-05 {end}"),
                places=2,
            ),
        )
    services.product_line_save(
        actor=world.actors["manager"],
        booking=long.booking,
        line=ProductLineIn(
            product=world.product,
            units=1,
            starts_at=at("2030-03-05 10:00"),
            ends_at=at("2030-03-05 12:00"),
        ),
    )
    assert long.booking.log_entries.count() > short.booking.log_entries.count() + 5
    assert long.booking.space_bookings.count() == 3
    assert long.booking.change_requests.filter(status="pending").count() == 1
    assert queries_for(long) == queries_for(short)


@pytest.mark.parametrize(
    "garbage",
    [
        {"space": "x", "day": "tomorrow", "minutes": "9999", "places": "-1", "layout": "7"},
        {"slot": "not a time", "places": "0"},
        {"slot": "2030-03-04T14:00:00", "minutes": "abc"},  # no offset
        {"slot": "2030-03-04T14:07:00+01:00"},  # off the form's steps
        {"slot": "2031-03-04T14:00:00+01:00", "day": "2031-03-04", "places": "100000"},
        {"contact_name": "", "contact_email": "", "request_note": "x" * 5000},
        {"contact_name": "Nul\x00byte"},
    ],
)
def test_garbage_in_the_change_form_is_named_never_a_500(client, world, garbage):
    created = request_the_room(world)
    response = send_change(client, created, **garbage)
    assert response.status_code in (400, 409)
    assert "error-summary" in response.content.decode()
    assert created.booking.change_requests.count() == 0
