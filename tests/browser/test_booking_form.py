"""The public booking form in a real browser, walked as customers walk it: with the keyboard
alone, without JavaScript, on a phone, after a mistake, and when someone else takes the time
meanwhile. The form is a realistic one (spaces with layouts, opening hours, an extra and a
question of every type) and every page it leads to passes axe-core's check.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from bookings import services
from bookings.models import Booking, BookingStatus
from core.actors import Actor
from tests import factories as f
from tests.browser.test_manage_page import serious_accessibility_problems
from venues.models import CustomField, Membership, OpeningHours

MADRID = ZoneInfo("Europe/Madrid")
Type, Section = CustomField.Type, CustomField.Section

REQUEST_RECEIVED = "Request received — not confirmed yet"
CONFIRMED = "Booking confirmed"


# -- the organisation and its forms ----------------------------------------------------------------


@dataclass
class Door:
    """A venue's two public forms, as the customer meets them."""

    venue: object
    garden: object  # exclusive, 30 people, no layouts
    hall: object  # exclusive, 120 people, 30 min setup and setdown, three layouts
    terrace: object  # shared, 40 places
    banquet: object  # a layout of the hall
    projector: object
    events_form: object  # requires approval, a question of every type
    drinks_form: object  # confirms at once
    manager: Actor
    day: date  # a day a week ahead, within every rule of both forms

    @property
    def events_path(self) -> str:
        return f"/book/{self.venue.organization.slug}/{self.events_form.slug}/"

    @property
    def drinks_path(self) -> str:
        return f"/book/{self.venue.organization.slug}/{self.drinks_form.slug}/"

    def at(self, clock: str) -> datetime:
        """A time on `day` in the venue's zone, e.g. at("14:00")."""
        return datetime.combine(self.day, time.fromisoformat(clock), tzinfo=MADRID)

    def slot_name(self, clock: str, minutes: int, space) -> str:
        """What a slot's radio button says: its day, its time and its space."""
        start = self.at(clock)
        end = start + timedelta(minutes=minutes)
        return f"{start:%a} {start.day} {start:%B}, {start:%H:%M}–{end:%H:%M}, {space.name}"

    def day_text(self) -> str:
        return f"{self.day:%A} {self.day.day} {self.day:%B %Y}"

    def take(self, clock: str, minutes: int, space=None) -> Booking:
        """Staff book and confirm a time, as a phone call would while a customer types."""
        start = self.at(clock)
        return services.booking_create(
            actor=self.manager,
            organization=self.venue.organization,
            venue=self.venue,
            customer=services.CustomerIn(first_name="Pere", last_name="Phone", email="p@x.example"),
            source="staff",
            title="Booked on the phone",
            space_lines=[
                services.SpaceLineIn(
                    space=space or self.hall,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=minutes),
                    places=10,
                )
            ],
            approve=True,
        ).booking


def _questions(form, questions) -> None:
    for position, (label, key, field_type, section, options) in enumerate(questions):
        CustomField.objects.create(
            form=form,
            label=label,
            key=key,
            field_type=field_type,
            section=section,
            position=position,
            **options,
        )


@pytest.fixture
def door(db) -> Door:
    organization = f.OrganizationFactory(name="Harbourlight", slug="harbourlight")
    venue = f.VenueFactory(
        organization=organization,
        name="Harbourlight Conference Centre",
        timezone="Europe/Madrid",
        address="Moll de la Fusta 12",
    )
    for weekday in OpeningHours.Weekday.values:
        f.OpeningHoursFactory(
            venue=venue, weekday=weekday, opens_at=time(9, 0), closes_at=time(21, 0)
        )
    vat = f.VatRateFactory(organization=organization, percent=Decimal("21"))
    garden = f.SpaceFactory(
        venue=venue,
        name="Garden Room",
        capacity=30,
        position=0,
        vat_rate=vat,
        hourly_price=Decimal("60.00"),
        description="Ground floor, opening onto the garden; daylight and blackout blinds.",
    )
    hall = f.SpaceFactory(
        venue=venue,
        name="Main Hall",
        capacity=120,
        position=1,
        vat_rate=vat,
        hourly_price=Decimal("180.00"),
        setup_minutes=30,
        setdown_minutes=30,
        description="Stage, sound system and a cloakroom.",
    )
    f.SpaceLayoutFactory(space=hall, name="Theatre", capacity=120, position=0)
    banquet = f.SpaceLayoutFactory(space=hall, name="Banquet", capacity=80, position=1)
    f.SpaceLayoutFactory(space=hall, name="Boardroom", capacity=24, position=2)
    terrace = f.SpaceFactory(
        venue=venue, name="Roof Terrace", capacity=40, mode="shared", position=2, vat_rate=vat
    )
    projector = f.InventoryProductFactory(
        organization=organization,
        venue=venue,
        name="Projector and screen",
        units_total=2,
        unit_price=Decimal("45.00"),
        vat_rate=vat,
    )
    events_form = f.BookingFormFactory(
        venue=venue,
        slug="events",
        title="Book a meeting or event space",
        intro="Tell us about your event; we answer every request within one working day.",
        requires_approval=True,
        min_notice_hours=24,
        max_days_ahead=90,
        slot_minutes=30,
        min_duration_minutes=60,
        max_duration_minutes=6 * 60,
        notify_emails="events@harbourlight.example",
    )
    events_form.spaces.set([garden, hall])
    events_form.products.set([projector])
    _questions(
        events_form,
        [
            ("Type of event", "event_type", Type.CHOICE, Section.EVENT,
             {"required": True, "choices": ["Meeting", "Workshop", "Party", "Other"]}),
            ("Expected attendees", "attendees", Type.NUMBER, Section.EVENT, {"required": True}),
            ("Catering", "catering", Type.MULTI_CHOICE, Section.EVENT,
             {"choices": ["Coffee break", "Lunch", "Dinner", "Drinks reception"]}),
            ("How did you hear of us?", "heard_from", Type.CHOICE, Section.EVENT,
             {"choices": ["A friend", "Search engine", "Social media", "Newspaper", "Radio",
                          "We came before", "Other"]}),
            ("Rehearsal date", "rehearsal", Type.DATE, Section.EVENT,
             {"help_text": "If you need the space the day before, too."}),
            ("Accessibility needs", "accessibility", Type.LONG_TEXT, Section.EVENT,
             {"max_length": 1000}),
            ("I accept the terms of hire", "terms", Type.CHECKBOX, Section.EVENT,
             {"required": True, "required_message": "Please accept the terms of hire."}),
            ("Purchase order number", "po_number", Type.TEXT, Section.CONTACT,
             {"help_text": "If your company needs one on the invoice, e.g. PO-12345.",
              "max_length": 20, "regex": r"PO-[0-9]{4,10}",
              "regex_message": "Write it as PO- followed by 4 to 10 digits, e.g. PO-12345."}),
            ("Invoice e-mail", "invoice_email", Type.EMAIL, Section.CONTACT, {}),
        ],
    )  # fmt: skip
    drinks_form = f.BookingFormFactory(
        venue=venue,
        slug="drinks",
        title="Reserve the roof terrace",
        requires_approval=False,
        min_notice_hours=2,
        max_days_ahead=60,
        slot_minutes=30,
        min_duration_minutes=60,
    )
    drinks_form.spaces.set([terrace])
    _questions(
        drinks_form,
        [("Occasion", "occasion", Type.CHOICE, Section.EVENT, {"choices": ["Birthday", "Other"]})],
    )
    manager = f.UserFactory(username="marta")
    f.MembershipFactory(user=manager, organization=organization, role=Membership.Role.MANAGER)
    day = timezone.localtime(timezone.now(), MADRID).date() + timedelta(days=8)
    return Door(
        venue=venue,
        garden=garden,
        hall=hall,
        terrace=terrace,
        banquet=banquet,
        projector=projector,
        events_form=events_form,
        drinks_form=drinks_form,
        manager=Actor.staff(manager),
        day=day,
    )


# -- what a test asks of the page ------------------------------------------------------------------

# What has the focus; `label` is its label's text as a screen reader reads it.
FOCUSED = """() => {
  const element = document.activeElement;
  const label = element.labels && element.labels[0] && element.labels[0].cloneNode(true);
  if (label) label.querySelectorAll("[aria-hidden=true]").forEach((part) => part.remove());
  return {id: element.id, name: element.name || "", type: element.type || "",
          value: element.value || "", checked: !!element.checked,
          label: label ? label.textContent.replace(/\\s+/g, " ").trim() : "",
          text: (element.innerText || "").trim()};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, target: str, *, most: int = 40) -> list[str]:
    """Press Tab until the element whose id or text is `target` has the focus; what was
    passed on the way."""
    passed = []
    for _ in range(most):
        page.keyboard.press("Tab")
        now = focused(page)
        if target in (now["id"], now["text"]):
            return passed
        passed.append(now["id"] or now["text"])
    raise AssertionError(f"{most} tabs did not reach {target!r}: {passed}")


def typed_date(page, day: date) -> str:
    """The keys that type `day` into a date field: its parts come in the browser's order
    (month first in en-US), which a blank page of the same browser tells."""
    probe = page.context.new_page()
    probe.set_content('<input type="date" id="probe">')
    probe.focus("#probe")
    probe.keyboard.type("01022003")
    parts = {"2003-01-02": "%m%d%Y", "2003-02-01": "%d%m%Y", "2001-02-03": "%Y%m%d"}
    order = parts[probe.input_value("#probe")]
    probe.close()
    return day.strftime(order)


def free_times_settled(page) -> None:
    """The script marks the list busy while it fetches fresh times; wait for the answer."""
    expect(page.locator("#slots")).not_to_have_attribute("aria-busy", "true")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def times_sticking_out_of_their_box(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("#slots .slot"))
          .filter((slot) => slot.scrollWidth > slot.clientWidth)
          .map((slot) => slot.querySelector("label").innerText)"""
    )


def fill_the_details(page, *, last_name="Guest", terms=True) -> None:
    """What every booking on the events form needs besides the time, by pointer and typing."""
    page.get_by_role("group", name="Type of event").get_by_label("Workshop").check()
    page.get_by_label("Expected attendees").fill("28")
    if terms:
        page.get_by_label("I accept the terms of hire").check()
    page.get_by_label("First name").fill("Gina")
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("E-mail", exact=True).fill("gina@example.com")


def pick_a_time(page, door, *, clock="14:00", minutes=120, space=None) -> None:
    """Space, date, length and a free slot, with the script refreshing the list as it goes."""
    space = space or door.hall
    space_radio(page, space).check()
    page.get_by_label("Date", exact=True).fill(door.day.isoformat())
    page.get_by_label("How long").select_option(str(minutes))
    free_times_settled(page)
    page.get_by_role("radio", name=door.slot_name(clock, minutes, space)).check()


def space_radio(page, space):
    return page.get_by_role("group", name="Space").get_by_role("radio", name=space.name)


# -- the keyboard alone ----------------------------------------------------------------------------


def test_a_customer_requests_a_booking_with_the_keyboard_alone_and_follows_the_emailed_link(
    open_tab, door, mailoutbox, settings, live_server
):
    settings.VENUEDESK_SITE_URL = live_server.url  # the e-mailed link leads to this server
    visit = open_tab()
    page, keys = visit.page, visit.page.keyboard
    date_keys = typed_date(page, door.day)
    visit.open(door.events_path)

    keys.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    keys.press("Tab")
    assert focused(page)["label"].startswith("Garden Room")
    keys.press("ArrowDown")  # the next space, chosen as the focus moves
    assert focused(page)["label"].startswith("Main Hall")
    assert focused(page)["checked"]
    keys.press("Tab")
    assert focused(page)["id"] == "id_day"
    keys.type(date_keys)
    assert page.get_by_label("Date", exact=True).input_value() == door.day.isoformat()
    tab_to(page, "id_minutes")  # past the parts of the date field and its calendar button
    keys.press("ArrowDown")
    keys.press("ArrowDown")
    assert focused(page)["value"] == "120"
    keys.press("Tab")
    assert focused(page)["id"] == "id_places"
    keys.press("Control+A")
    keys.type("30")
    keys.press("Tab")
    assert focused(page)["id"] == "id_layout"
    keys.press("ArrowDown")  # the hall's first layout
    keys.press("ArrowDown")
    assert focused(page)["value"] == str(door.banquet.pk)
    keys.press("Tab")
    assert focused(page)["id"] == "show-slots"
    free_times_settled(page)
    wanted = door.slot_name("14:00", 120, door.hall)
    expect(page.get_by_role("radio", name=wanted)).to_be_visible()

    keys.press("Tab")  # straight from the button into the free times
    assert focused(page)["name"] == "slot"
    for _ in range(30):
        if focused(page)["label"] == wanted:
            break
        keys.press("ArrowRight")
    keys.press("Space")
    assert (focused(page)["label"], focused(page)["checked"]) == (wanted, True)
    expect(page.get_by_role("radio", name=wanted)).to_be_checked()

    tab_to(page, f"id_extra_{door.projector.pk}")
    keys.type("1")
    tab_to(page, "id_title")
    keys.type("Board away day")
    keys.press("Tab")
    assert focused(page)["label"] == "Meeting"  # a group of radio buttons is one stop
    keys.press("ArrowDown")
    assert (focused(page)["label"], focused(page)["checked"]) == ("Workshop", True)
    tab_to(page, "id_answer_attendees")
    keys.type("28")
    keys.press("Tab")
    assert focused(page)["label"] == "Coffee break"
    keys.press("Space")
    keys.press("Tab")
    keys.press("Tab")
    assert focused(page)["label"] == "Dinner"
    keys.press("Space")
    tab_to(page, "id_answer_heard_from")
    keys.press("ArrowDown")
    assert focused(page)["value"] == "A friend"
    tab_to(page, "id_answer_accessibility")
    keys.type("Step-free access for two guests.")
    tab_to(page, "id_first_name")  # the terms are left unticked, the last name empty
    keys.type("Gina")
    tab_to(page, "id_email")
    keys.type("gina@example.com")
    tab_to(page, "id_answer_po_number")
    keys.type("PO-12345")
    tab_to(page, "Send request")
    with page.expect_navigation():
        keys.press("Enter")

    # A failed submit: the summary has the focus and its links lead to each field.
    assert page.title().startswith("Error:")
    assert focused(page)["id"] == "error-summary"
    summary_links = page.locator("#error-summary a")
    expect(summary_links).to_have_text(
        ["Please accept the terms of hire.", "Enter your last name."]
    )
    keys.press("Tab")
    assert focused(page)["text"] == "Please accept the terms of hire."
    keys.press("Enter")
    assert focused(page)["id"] == "id_answer_terms"
    expect(page.locator("#id_answer_terms_error")).to_be_in_viewport()  # the words with it
    keys.press("Space")
    tab_to(page, "id_last_name")
    expect(page.locator("#id_last_name_error")).to_have_text("Error: Enter your last name.")
    keys.type("Guest")
    tab_to(page, "Send request")
    with page.expect_navigation():
        keys.press("Enter")

    # The manage page greets the request, in the venue's time with its zone named.
    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    expect(page.get_by_text("Europe/Madrid", exact=False)).to_be_visible()
    when = f"{door.day:%a} {door.day.day} {door.day:%b %Y}, 14:00–16:00"
    expect(page.get_by_role("listitem").filter(has_text="Main Hall")).to_contain_text(when)
    booking = Booking.objects.get(booking_form=door.events_form)
    assert booking.status == BookingStatus.PENDING
    [line] = booking.space_bookings.all()
    assert (line.space, line.layout, line.places) == (door.hall, door.banquet, 30)
    assert (line.starts_at, line.ends_at) == (door.at("14:00"), door.at("16:00"))
    assert booking.answers["event_type"] == "Workshop"
    assert booking.answers["catering"] == ["Coffee break", "Dinner"]
    assert booking.answers["terms"] is True
    assert booking.answers["po_number"] == "PO-12345"
    assert booking.inventory_bookings.get().units == 1

    # The e-mail's link opens the same page; the calendar entry is tentative.
    # The live server's request thread sent it as the booking committed (Django's
    # in-memory outbox is one list for every thread).
    [message] = [message for message in mailoutbox if message.to == ["gina@example.com"]]
    [link] = set(re.findall(re.escape(live_server.url) + r"/manage/[A-Za-z0-9_-]+/", message.body))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    expect(page.get_by_text(booking.reference)).to_be_visible()
    answer = page.request.get(link + "booking.ics")
    assert answer.ok
    [entry] = Calendar.from_ical(answer.body()).walk("VEVENT")
    assert str(entry["STATUS"]) == "TENTATIVE"
    assert entry.decoded("DTSTART") == door.at("14:00")

    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []


# -- without JavaScript ----------------------------------------------------------------------------


def test_without_javascript_a_customer_asks_for_the_free_times_then_sends_a_request(open_tab, door):
    visit = open_tab(javascript=False)
    page = visit.page
    visit.open(door.events_path)
    space_radio(page, door.hall).check()
    page.get_by_label("Date", exact=True).fill(door.day.isoformat())
    page.get_by_label("How long").select_option("120")
    wanted = door.slot_name("14:00", 120, door.hall)
    expect(page.get_by_role("radio", name=wanted)).to_have_count(0)  # not asked for yet

    with page.expect_navigation():
        page.get_by_role("button", name="Show free times").click()

    assert not page.title().startswith("Error:")  # asking for times is not a mistake
    expect(page.get_by_role("group", name=f"Free times on {door.day_text()}")).to_be_visible()
    expect(space_radio(page, door.hall)).to_be_checked()  # the choice stays
    page.get_by_role("radio", name=wanted).check()
    fill_the_details(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    expect(page.get_by_text("The time is not held for you", exact=False)).to_be_visible()
    expect(page.get_by_text("Europe/Madrid", exact=False)).to_be_visible()
    booking = Booking.objects.get(booking_form=door.events_form)
    assert booking.status == BookingStatus.PENDING
    assert booking.space_bookings.get().starts_at == door.at("14:00")
    assert visit.outside_requests == []


def test_without_javascript_a_form_that_confirms_at_once_says_the_booking_is_confirmed(
    open_tab, door
):
    visit = open_tab(javascript=False)
    page = visit.page
    visit.open(door.drinks_path)
    page.get_by_label("Date", exact=True).fill(door.day.isoformat())
    page.get_by_label("Number of people").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="Show free times").click()

    page.get_by_role("radio", name=door.slot_name("19:00", 60, door.terrace)).check()
    page.get_by_label("Last name").fill("Guest")
    page.get_by_label("E-mail", exact=True).fill("gina@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Book now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(CONFIRMED)
    booking = Booking.objects.get(booking_form=door.drinks_form)
    assert booking.status == BookingStatus.APPROVED
    assert booking.space_bookings.get().places == 12
    answer = page.request.get(page.url + "booking.ics")
    [entry] = Calendar.from_ical(answer.body()).walk("VEVENT")
    assert str(entry["STATUS"]) == "CONFIRMED"


# -- with JavaScript -------------------------------------------------------------------------------


def test_changing_the_choice_refreshes_the_free_times_in_place_and_keeps_a_time_still_free(
    visit, door
):
    page = visit.page
    visit.open(door.events_path)
    page.evaluate("window.stillTheSamePage = true")  # gone if the page were loaded again
    status = page.get_by_role("status")
    page.get_by_label("Date", exact=True).fill(door.day.isoformat())
    free_times_settled(page)
    expect(status).to_have_text(re.compile(rf"^\d+ free times on {door.day_text()}$"))
    expect(page.locator("#slots")).not_to_contain_text("Error")  # nothing was sent yet
    pick_a_time(page, door, clock="14:00", minutes=120)

    page.get_by_label("Number of people").fill("60")
    page.get_by_label("Number of people").press("Tab")  # a number is taken when left
    free_times_settled(page)
    kept = page.get_by_role("radio", name=door.slot_name("14:00", 120, door.hall))
    expect(kept).to_be_checked()
    radios = page.locator("#slots input[type=radio]")
    expect(status).to_have_text(f"{radios.count()} free times on {door.day_text()}")

    door.take("10:00", 60)  # staff take the morning meanwhile
    next_day = door.day + timedelta(days=1)
    page.get_by_label("Date", exact=True).fill(next_day.isoformat())
    free_times_settled(page)
    next_day_text = f"{next_day:%A} {next_day.day} {next_day:%B %Y}"
    expect(page.get_by_role("group", name=f"Free times on {next_day_text}")).to_be_visible()
    expect(status).to_have_text(f"{radios.count()} free times on {next_day_text}")
    expect(page.locator("#slots input:checked")).to_have_count(0)  # 14:00 of another day

    page.get_by_label("Date", exact=True).fill(door.day.isoformat())
    free_times_settled(page)
    # Fresh from the server: the hall is set up from 09:30 and cleared by 11:30 for the
    # morning booking, and needs half an hour before a booking of its own.
    expect(page.get_by_role("radio", name=door.slot_name("11:30", 120, door.hall))).to_have_count(0)
    expect(page.get_by_role("radio", name=door.slot_name("12:00", 120, door.hall))).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.title() == f"{door.events_form.title} · {door.venue.name}"
    assert visit.csp_violations() == []
    assert visit.page_errors == []


# -- on a phone ------------------------------------------------------------------------------------

# Every tap target on the page that is less than 24 px high: buttons, links and controls. A
# radio button's or a checkbox's target includes its label (a tap on the label ticks it), so
# their union is measured; a text field is its own target, whatever the size of its label.
SMALL_TAP_TARGETS = """() => {
  const small = [];
  const targets = "button, a, select, textarea, input:not([type=hidden])";
  for (const element of document.querySelectorAll(targets)) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= 0) continue;  // not shown: off-screen or hidden
    let height = box.height;
    if (element.matches("input[type=radio], input[type=checkbox]") && element.labels.length) {
      const label = element.labels[0].getBoundingClientRect();
      height = Math.max(box.bottom, label.bottom) - Math.min(box.top, label.top);
    }
    if (height < 24) {
      small.push(`${element.tagName} ${element.id || element.textContent.trim()}: ${height}px`);
    }
  }
  return small;
}"""


@pytest.mark.parametrize("width", [375, 360, 320])
def test_a_customer_books_on_a_phone_without_scrolling_sideways(open_tab, door, width, tmp_path):
    visit = open_tab(width=width, height=800)
    page = visit.page
    visit.open(door.events_path)
    assert no_sideways_scroll(page)
    assert page.evaluate(SMALL_TAP_TARGETS) == []

    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()  # nothing chosen yet
    expect(page.locator("#error-summary")).to_be_focused()
    assert no_sideways_scroll(page)  # the marked fields and the summary fit too
    assert page.evaluate(SMALL_TAP_TARGETS) == []

    pick_a_time(page, door, clock="10:00", minutes=180)
    fill_the_details(page)
    assert no_sideways_scroll(page)
    assert times_sticking_out_of_their_box(page) == []
    assert page.evaluate(SMALL_TAP_TARGETS) == []
    page.screenshot(path=tmp_path / f"form-{width}.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    assert no_sideways_scroll(page)
    assert page.evaluate(SMALL_TAP_TARGETS) == []
    page.screenshot(path=tmp_path / f"booked-{width}.png", full_page=True)
    assert Booking.objects.get().space_bookings.get().ends_at == door.at("13:00")
    assert visit.csp_violations() == []
    assert visit.page_errors == []


# -- mistakes --------------------------------------------------------------------------------------

ERROR_OF_LINK = """(link) => {
  const control = document.getElementById(link.hash.slice(1));
  const described = control.hasAttribute("aria-describedby")
    ? control : control.closest("fieldset");
  const ids = (described.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  return {
    control: control.id,
    invalid: control.getAttribute("aria-invalid"),
    described: ids.map((id) => document.getElementById(id)?.textContent.trim() ?? `no #${id}`),
  };
}"""


def test_a_failed_submit_names_every_problem_at_its_field_and_keeps_what_was_typed(visit, door):
    page = visit.page
    visit.open(door.events_path)
    space_radio(page, door.hall).check()
    page.get_by_label("Date", exact=True).fill(door.day.isoformat())
    page.get_by_label("How long").select_option("120")
    page.get_by_label("Number of people").fill("30")
    page.get_by_role("combobox", name="Layout").select_option(label="Banquet")
    free_times_settled(page)
    chosen = page.get_by_role("radio", name=door.slot_name("15:00", 120, door.hall))
    chosen.check()
    page.get_by_label("Projector and screen").fill("1")
    page.get_by_label("Name for the booking").fill("Board away day")
    page.get_by_label("Expected attendees").fill("28")
    catering = page.get_by_role("group", name="Catering")
    catering.get_by_label("Lunch").check()
    catering.get_by_label("Dinner").check()
    page.get_by_label("How did you hear of us?").select_option("Social media")
    page.get_by_label("Rehearsal date").fill((door.day - timedelta(days=1)).isoformat())
    page.get_by_label("Accessibility needs").fill("Step-free access\nfor two guests.")
    page.get_by_label("Anything else the venue should know?").fill("We bring our own banners.")
    page.get_by_label("First name").fill("Gina")
    page.get_by_label("E-mail", exact=True).fill("gina@example.com")
    page.get_by_label("Phone").fill("+34 600 000 001")
    page.get_by_label("Purchase order number").fill("12345")
    page.get_by_label("Invoice e-mail").fill("accounts@")

    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Send request").click()

    assert sent.value.status == 400
    assert page.title().startswith("Error: Book a meeting or event space")
    expect(page.locator("#error-summary")).to_be_focused()
    problems = {
        "id_answer_event_type_0": "This field is required.",
        "id_answer_terms": "Please accept the terms of hire.",
        "id_last_name": "Enter your last name.",
        "id_answer_po_number": "Write it as PO- followed by 4 to 10 digits, e.g. PO-12345.",
        "id_answer_invoice_email": "Enter a valid email address.",
    }
    links = page.locator("#error-summary a")
    expect(links).to_have_text(  # in the order of the page, generic messages named
        [
            "Type of event: This field is required.",
            "Please accept the terms of hire.",
            "Enter your last name.",
            problems["id_answer_po_number"],  # its own message says enough
            "Invoice e-mail: Enter a valid email address.",
        ]
    )
    for link in links.all():
        field = link.evaluate(ERROR_OF_LINK)
        assert field["invalid"] == "true", field
        assert f"Error: {problems[field['control']]}" in field["described"], field
    for radio in page.get_by_role("group", name="Type of event").get_by_role("radio").all():
        expect(radio).to_have_attribute("aria-invalid", "true")
    # Nothing else is marked: the four radio buttons of one question and four fields.
    expect(page.locator("[aria-invalid=true]")).to_have_count(4 + 4)

    # Everything typed and chosen is still there.
    expect(space_radio(page, door.hall)).to_be_checked()
    expect(page.get_by_label("Date", exact=True)).to_have_value(door.day.isoformat())
    expect(page.get_by_label("How long")).to_have_value("120")
    expect(page.get_by_label("Number of people")).to_have_value("30")
    expect(page.get_by_role("combobox", name="Layout")).to_have_value(str(door.banquet.pk))
    expect(chosen).to_be_checked()
    expect(page.get_by_label("Projector and screen")).to_have_value("1")
    expect(page.get_by_label("Name for the booking")).to_have_value("Board away day")
    expect(page.get_by_label("Expected attendees")).to_have_value("28")
    expect(catering.get_by_label("Lunch")).to_be_checked()
    expect(catering.get_by_label("Dinner")).to_be_checked()
    expect(catering.get_by_label("Coffee break")).not_to_be_checked()
    expect(page.get_by_label("How did you hear of us?")).to_have_value("Social media")
    expect(page.get_by_label("Rehearsal date")).to_have_value(
        (door.day - timedelta(days=1)).isoformat()
    )
    expect(page.get_by_label("Accessibility needs")).to_have_value(
        "Step-free access\nfor two guests."
    )
    expect(page.get_by_label("Anything else the venue should know?")).to_have_value(
        "We bring our own banners."
    )
    expect(page.get_by_label("First name")).to_have_value("Gina")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("gina@example.com")
    expect(page.get_by_label("Phone")).to_have_value("+34 600 000 001")
    expect(page.get_by_label("Purchase order number")).to_have_value("12345")
    expect(page.get_by_label("Invoice e-mail")).to_have_value("accounts@")

    # Put right, it goes through.
    page.get_by_role("group", name="Type of event").get_by_label("Meeting").check()
    page.get_by_label("I accept the terms of hire").check()
    page.get_by_label("Last name").fill("Guest")
    page.get_by_label("Purchase order number").fill("PO-12345")
    page.get_by_label("Invoice e-mail").fill("accounts@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    booking = Booking.objects.get()
    assert booking.answers["catering"] == ["Lunch", "Dinner"]
    assert booking.answers["accessibility"] == "Step-free access\nfor two guests."
    assert booking.space_bookings.get().layout == door.banquet
    assert visit.csp_violations() == []
    assert visit.page_errors == []


# -- a time taken meanwhile ------------------------------------------------------------------------


def test_a_time_taken_while_the_customer_typed_gives_fresh_times_and_loses_nothing(visit, door):
    page = visit.page
    visit.open(door.events_path)
    pick_a_time(page, door, clock="14:00", minutes=120)
    page.get_by_label("Name for the booking").fill("Board away day")
    page.get_by_role("group", name="Catering").get_by_label("Lunch").check()
    fill_the_details(page)
    door.take("14:00", 120)  # a phone call, while the customer was typing

    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Send request").click()

    assert sent.value.status == 409
    assert page.title().startswith("Error:")
    taken = "Sorry, this time was just taken. Please choose another."
    expect(page.locator("#id_slot_error")).to_have_text(f"Error: {taken}")
    expect(page.locator("#error-summary a")).to_have_text([taken])
    times = page.get_by_role("group", name=f"Free times on {door.day_text()}")
    expect(times.get_by_role("radio", name=door.slot_name("14:00", 120, door.hall))).to_have_count(
        0
    )
    expect(times.get_by_role("radio", name=door.slot_name("11:00", 120, door.hall))).to_be_visible()
    expect(times.get_by_role("radio", name=door.slot_name("17:00", 120, door.hall))).to_be_visible()
    expect(times.locator("input:checked")).to_have_count(0)
    expect(page.get_by_label("Name for the booking")).to_have_value("Board away day")
    expect(page.get_by_role("group", name="Catering").get_by_label("Lunch")).to_be_checked()
    expect(page.get_by_role("group", name="Type of event").get_by_label("Workshop")).to_be_checked()
    expect(page.get_by_label("I accept the terms of hire")).to_be_checked()
    expect(page.get_by_label("Expected attendees")).to_have_value("28")
    expect(page.get_by_label("Last name")).to_have_value("Guest")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("gina@example.com")

    page.locator("#error-summary a").click()  # the link leads to the first free time
    expect(times.get_by_role("radio").first).to_be_focused()
    times.get_by_role("radio", name=door.slot_name("17:00", 120, door.hall)).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    assert Booking.objects.get(booking_form=door.events_form).space_bookings.get().starts_at == (
        door.at("17:00")
    )


# -- axe-core --------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 375])
def test_the_form_its_errors_and_the_confirmation_have_no_serious_accessibility_problem(
    open_tab, door, width, tmp_path
):
    visit = open_tab(width=width)
    page = visit.page
    visit.open(door.events_path)
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=tmp_path / f"form-{width}.png", full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=tmp_path / f"errors-{width}.png", full_page=True)

    pick_a_time(page, door)
    fill_the_details(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=tmp_path / f"booked-{width}.png", full_page=True)
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_the_free_times_come_into_view_once_a_day_is_chosen(open_tab, door, javascript):
    visit = open_tab(width=375, height=700, javascript=javascript)
    page = visit.page
    visit.open(door.events_path)
    space_radio(page, door.hall).check()
    date_field = page.get_by_label("Date", exact=True)
    date_field.fill(door.day.isoformat())
    if javascript:
        date_field.dispatch_event("change")
        free_times_settled(page)
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Show free times").click()
    legend = page.locator("#slots legend")
    expect(legend).to_contain_text(door.day_text())
    expect(legend).to_be_in_viewport()
    if not javascript:
        # The next "Send" goes to the form's own address, not to the list's anchor.
        assert page.locator("form.booking-form").get_attribute("action") == door.events_path
