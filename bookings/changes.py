"""A change request read beside its booking: what each value is now and what is asked for.

The staff page and the admin show the same rows, so a request reads the same in both:
names instead of ids, times in the venue's zone, answers under their questions' labels.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings.answers import answer_text
from bookings.models import Booking, ChangeRequest
from core.templatetags.venue_time import span

CONTACT_WORDS = {
    "contact_name": gettext_lazy("Contact name"),
    "contact_email": gettext_lazy("Contact e-mail"),
    "contact_phone": gettext_lazy("Contact phone"),
}
LINE_DETAIL_WORDS = {
    "name": gettext_lazy("Name or signage"),
    "expected_attendees": gettext_lazy("Expected attendees"),
    "guaranteed_attendees": gettext_lazy("Guaranteed attendees"),
}


@dataclass(frozen=True)
class ComparisonRow:
    what: str
    current: str
    requested: str

    @property
    def changed(self) -> bool:
        return self.current != self.requested


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def comparison(booking: Booking, change_request: ChangeRequest) -> list[ComparisonRow]:
    """Rows of (what, current, requested) in the venue's time. `change_request` comes from
    `selectors.change_request_get` (it names the spaces and layouts asked for), `booking`
    from `selectors.booking_get` (lines with their spaces, the form's questions)."""
    if change_request.is_cancellation:
        return [ComparisonRow(_("Booking"), booking.get_status_display(), _("Canceled"))]
    venue, changes, rows = booking.venue, change_request.changes, []
    lines = {line.pk: line for line in booking.space_bookings.all()}
    for number, asked in enumerate(changes.get("space_lines", []), 1):
        line = lines.get(asked["id"])
        if line is None:
            continue
        prefix = _("Line %(n)d") % {"n": number} if len(lines) > 1 else ""

        def row(words, current, requested, prefix=prefix):
            what = f"{prefix} · {words}" if prefix else words
            rows.append(ComparisonRow(what, _shown(current), _shown(requested)))

        start = (
            datetime.fromisoformat(asked["starts_at"]) if "starts_at" in asked else line.starts_at
        )
        end = datetime.fromisoformat(asked["ends_at"]) if "ends_at" in asked else line.ends_at
        row(_("Time"), span(line.starts_at, line.ends_at, venue), span(start, end, venue))
        space = change_request.spaces_by_id.get(asked.get("space_id"), line.space)
        row(_("Space"), line.space.name, space.name)
        if "layout_id" in asked:
            layout = change_request.layouts_by_id.get(asked["layout_id"])
            row(_("Layout"), line.layout.name if line.layout else "", layout.name if layout else "")
        row(_("People"), line.places, asked.get("places", line.places))
        for key, words in LINE_DETAIL_WORDS.items():
            if key in asked:
                row(str(words), getattr(line, key), asked[key])
    for key, value in changes.get("contact", {}).items():
        rows.append(
            ComparisonRow(str(CONTACT_WORDS[key]), _shown(getattr(booking, key)), _shown(value))
        )
    labels = (
        {question.key: question.label for question in booking.booking_form.custom_fields.all()}
        if booking.booking_form
        else {}
    )
    for key, value in changes.get("answers", {}).items():
        rows.append(
            ComparisonRow(
                labels.get(key, key), answer_text(booking.answers.get(key)), answer_text(value)
            )
        )
    return rows


def what_is_asked(change_request: ChangeRequest) -> str:
    """The request in a few words for a list: "cancellation", "new time, people"."""
    if change_request.is_cancellation:
        return _("cancellation")
    changes = change_request.changes or {}
    parts = []
    asked_keys = {key for line in changes.get("space_lines", []) for key in line}
    for keys, words in (
        ({"starts_at", "ends_at"}, _("new time")),
        ({"space_id"}, _("another space")),
        ({"layout_id"}, _("another layout")),
        ({"places", "expected_attendees", "guaranteed_attendees"}, _("people")),
        ({"name"}, _("name or signage")),
    ):
        if keys & asked_keys:
            parts.append(words)
    if changes.get("contact"):
        parts.append(_("contact details"))
    if changes.get("answers"):
        parts.append(_("answers"))
    return ", ".join(parts) or _("change")
