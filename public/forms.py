"""The customer's forms: what the booking form asks, read into the services' inputs.

The forms check only what a browser sends (a date is a date, a number a number, the
details needed to reach the customer); every rule of the venue — the form's policy,
availability, the questions' answers — is the services'. `BookingRequestForm.clean()`
asks the answers' own validator early, so that the customer hears about every problem
at once, and the service checks them again when it books.
"""

from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from bookings.answers import clean_answers
from bookings.selectors import Slot, form_slot_list, next_free_day
from public.honeypot import HoneypotMixin
from venues.models import BookingForm, CustomField

Type = CustomField.Type

# A form without a longest duration still offers a day's worth of choices, not endless ones.
LONGEST_OFFERED_MINUTES = 12 * 60
MAX_NOTE_LENGTH = 2000


def duration_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d minutes") % {"minutes": rest}
    if not rest:
        return (_("1 hour") if hours == 1 else _("%(hours)d hours")) % {"hours": hours}
    return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": rest}


def duration_choices(form: BookingForm) -> list[tuple[int, str]]:
    longest = form.max_duration_minutes or max(LONGEST_OFFERED_MINUTES, form.min_duration_minutes)
    step = form.slot_minutes
    first = -(-form.min_duration_minutes // step) * step  # the shortest on the form's steps
    return [(minutes, duration_text(minutes)) for minutes in range(first, longest + 1, step)]


def email_field(*, help_text: str, required: str) -> forms.EmailField:
    """An e-mail address to reach the customer at, as browsers fill it in."""
    return forms.EmailField(
        label=_("E-mail"),
        help_text=help_text,
        error_messages={
            "required": required,
            "invalid": _("Enter an e-mail address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def phone_field() -> forms.CharField:
    return forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


def answer_field(question: CustomField) -> forms.Field:
    """A form field for one question, by its type. It checks nothing itself: the answers'
    validator does, for every door alike."""
    options = [(choice, choice) for choice in question.choices]
    widget = {
        Type.TEXT: forms.TextInput,
        Type.LONG_TEXT: lambda attrs: forms.Textarea(attrs={"rows": 4, **attrs}),
        Type.NUMBER: lambda attrs: forms.NumberInput(attrs={"inputmode": "numeric", **attrs}),
        Type.DATE: lambda attrs: forms.DateInput(attrs={"type": "date", **attrs}),
        Type.EMAIL: lambda attrs: forms.EmailInput(attrs={"autocomplete": "email", **attrs}),
        Type.CHOICE: lambda attrs: (
            forms.RadioSelect(choices=options, attrs=attrs)
            if len(options) <= 5
            else forms.Select(choices=[("", _("Choose…")), *options], attrs=attrs)
        ),
        Type.MULTI_CHOICE: lambda attrs: forms.CheckboxSelectMultiple(choices=options),
        Type.CHECKBOX: forms.CheckboxInput,
    }[question.field_type]
    attrs = {"maxlength": question.max_length} if question.max_length else {}
    if question.required and question.field_type != Type.MULTI_CHOICE:
        attrs["required"] = True
    if question.field_type == Type.CHECKBOX:
        field = forms.BooleanField(required=False, widget=widget(attrs))
    elif question.field_type == Type.MULTI_CHOICE:
        field = forms.Field(required=False, widget=widget(attrs))
    else:
        field = forms.CharField(required=False, strip=False, widget=widget(attrs))
    field.label = question.label
    field.help_text = question.help_text
    field.question = question
    field.initial = question.default or None
    return field


class SlotForm(forms.Form):
    """A space, a day, a length, places, a layout and a free slot, as a booking form offers
    them: the part of the booking form that a change request asks again.

    `find_slots()` lists the free slots for what is chosen so far (templates/public/
    _slots.html shows them); `slot_start` in the cleaned data is the chosen start.
    """

    space = forms.TypedChoiceField(label=_("Space"), coerce=int, widget=forms.RadioSelect)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.TypedChoiceField(label=_("How long"), coerce=int)
    places = forms.IntegerField(
        label=_("Number of people"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    slot = forms.CharField(label=_("Time"), required=False, widget=forms.RadioSelect)
    layout = forms.TypedChoiceField(label=_("Layout"), coerce=int, required=False, empty_value=None)

    def __init__(self, booking_form: BookingForm, *args, now: datetime | None = None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.booking_form = booking_form
        self.now = now or timezone.now()
        self.tz = booking_form.venue.tzinfo
        self.spaces = {space.pk: space for space in booking_form.spaces.all()}
        self.fields["space"].choices = [(pk, space.name) for pk, space in self.spaces.items()]
        self.fields["space"].initial = next(iter(self.spaces), None)
        first_day, last_day = self.bookable_days()
        self.fields["day"].widget.attrs.update(min=first_day.isoformat(), max=last_day.isoformat())
        self.fields["day"].initial = first_day
        self.fields["minutes"].choices = duration_choices(booking_form)
        self.fields["minutes"].initial = self.fields["minutes"].choices[0][0]
        self.fields["places"].initial = 1
        most = max((space.capacity for space in self.spaces.values()), default=1)
        self.fields["places"].widget.attrs["max"] = most
        self.fields["layout"].choices = [("", _("No preference"))] + [
            (space.name, [(layout.pk, layout.name) for layout in space.layouts.all()])
            for space in self.spaces.values()
            if space.layouts.all()
        ]
        self.slots: list[Slot] = []
        self.next_day: date | None = None  # when the day chosen has no free slot
        self.ignoring = None  # a booking being changed: its own hold does not block a slot

    def chosen_layout(self):
        space = self.spaces.get(self.cleaned_data.get("space"))
        layout_id = self.cleaned_data.get("layout")
        return (
            next((lay for lay in space.layouts.all() if lay.pk == layout_id), None)
            if space
            else None
        )

    def clean(self):
        data = super().clean()
        space = self.spaces.get(data.get("space"))
        layout_id = data.get("layout")
        layouts = {layout.pk for layout in space.layouts.all()} if space else set()
        if space is not None and layout_id is not None and layout_id not in layouts:
            self.add_error("layout", _("Choose a layout of %(space)s.") % {"space": space.name})
        if not data.get("slot"):
            self.add_error("slot", _("Choose a time."))
        else:
            try:
                data["slot_start"] = datetime.fromisoformat(data["slot"])
            except ValueError:
                self.add_error("slot", _("Choose one of the times offered."))
        return data

    # -- what the page shows -------------------------------------------------------------------

    def bookable_days(self) -> tuple[date, date]:
        """The first and last local days on which a slot could start."""
        form = self.booking_form
        earliest = timezone.localtime(self.now + timedelta(hours=form.min_notice_hours), self.tz)
        latest = timezone.localtime(self.now + timedelta(days=form.max_days_ahead), self.tz)
        return earliest.date(), latest.date()

    def value_of(self, name: str):
        """What the page shows for `name`: the cleaned value, else what was typed or the default."""
        if hasattr(self, "cleaned_data") and name in self.cleaned_data:
            return self.cleaned_data[name]
        field = self.fields[name]
        if self.is_bound:
            try:
                return field.clean(field.bound_data(self.data.get(self.add_prefix(name)), None))
            except ValidationError:
                return None
        return self.get_initial_for_field(field, name)

    def find_slots(self) -> list[Slot]:
        """The free slots for the space, day, length, places and layout chosen so far."""
        space = self.spaces.get(self.value_of("space"))
        day, minutes, places = (
            self.value_of("day"),
            self.value_of("minutes"),
            self.value_of("places"),
        )
        if space is None or day is None or minutes is None or not places:
            self.slots = []
            return self.slots
        layout = next(
            (layout for layout in space.layouts.all() if layout.pk == self.value_of("layout")),
            None,
        )
        choice = {
            "form": self.booking_form,
            "space": space,
            "minutes": minutes,
            "places": places,
            "layout": layout,
            "now": self.now,
            "ignoring": self.ignoring,
        }
        self.slots = form_slot_list(day=day, **choice)
        if not self.slots:
            self.next_day = next_free_day(after=day, **choice)
        self.fields["slot"].widget.choices = [
            (slot_value(slot, self.tz), "") for slot in self.slots
        ]
        return self.slots

    def next_day_text(self) -> str:
        return date_format(self.next_day, "l j F Y") if self.next_day else ""

    def slot_options(self) -> list[dict]:
        """Each free slot as the page lists it: the time to read, and the whole context
        (day, time, space) that a screen reader announces with it."""
        chosen = self.chosen_start()
        options = []
        for number, slot in enumerate(self.slots):
            start = timezone.localtime(slot.starts_at, self.tz)
            end = timezone.localtime(slot.ends_at, self.tz)
            time = f"{start:%H:%M}–{end:%H:%M}"
            options.append(
                {
                    "id": f"id_slot_{number}",
                    "value": slot_value(slot, self.tz),
                    "day": date_format(start, "D j F"),
                    "time": time,
                    "next_day": end.date() != start.date(),
                    "space": slot.space.name,
                    "checked": chosen is not None and slot.starts_at == chosen,
                    "current": self.is_current(slot),
                }
            )
        return options

    def chosen_start(self) -> datetime | None:
        """The start of the slot chosen so far (none before the customer picks one)."""
        return parse_slot(self.value_of("slot")) if self.is_bound else None

    def is_current(self, slot: Slot) -> bool:
        """Whether `slot` is what the booking being changed has now (a new one has nothing)."""
        return False

    def chosen_day_text(self) -> str:
        day = self.value_of("day")
        return date_format(day, "l j F Y") if day else ""

    def space_choices(self) -> list[tuple[object, object]]:
        """(space, radio) pairs, so that each radio's label can tell about its space."""
        radios = {str(radio.data["value"]): radio for radio in self["space"]}
        return [(space, radios[str(pk)]) for pk, space in self.spaces.items()]


class BookingRequestForm(HoneypotMixin, SlotForm):
    """What a customer asks for on a public booking form, and who they are."""

    title = forms.CharField(
        label=_("Name for the booking"),
        help_text=_("A few words we show on your booking, e.g. “Book club” or “Anna’s birthday”."),
        required=False,
        max_length=200,
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        error_messages={"required": _("Enter your last name.")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = email_field(
        help_text=_("Your private link to this booking is sent here."),
        required=_("Enter your e-mail address."),
    )
    phone = phone_field()
    company = forms.CharField(
        label=_("Company or organisation"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    request_note = forms.CharField(
        label=_("Anything else the venue should know?"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    discount_code = forms.CharField(label=_("Discount code"), required=False, max_length=40)

    def __init__(self, booking_form: BookingForm, *args, **kwargs):
        super().__init__(booking_form, *args, **kwargs)
        self.products = list(booking_form.products.all())
        self.questions = list(booking_form.custom_fields.all())
        if not booking_form.accepts_discount_codes:
            del self.fields["discount_code"]
        for product in self.products:
            self.fields[f"extra_{product.pk}"] = forms.IntegerField(
                label=product.name,
                help_text=product.description,
                required=False,
                min_value=0,
                max_value=product.units_total,
                initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        for question in self.questions:
            self.fields[f"answer_{question.key}"] = answer_field(question)

    def page_order(self) -> list[str]:
        """The field names in the order the page shows them (the error summary follows it)."""
        asked = [
            f"answer_{q.key}" for q in self.questions if q.section == CustomField.Section.EVENT
        ]
        contact = [
            f"answer_{q.key}" for q in self.questions if q.section != CustomField.Section.EVENT
        ]
        extras = [f"extra_{p.pk}" for p in self.products]
        names = ["space", "day", "minutes", "places", "layout", "slot", *extras, "title", *asked]
        names += ["request_note", "first_name", "last_name", "email", "phone", "company", *contact]
        return [name for name in [*names, "discount_code"] if name in self.fields]

    def event_questions(self) -> list[forms.BoundField]:
        return self._questions_in(CustomField.Section.EVENT)

    def contact_questions(self) -> list[forms.BoundField]:
        return self._questions_in(CustomField.Section.CONTACT)

    def _questions_in(self, section: str) -> list[forms.BoundField]:
        return [self[f"answer_{q.key}"] for q in self.questions if q.section == section]

    def extras(self) -> list[tuple[object, forms.BoundField]]:
        return [(product, self[f"extra_{product.pk}"]) for product in self.products]

    # -- checking ------------------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        try:
            data["answers"] = clean_answers(self.booking_form, self.answers())
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                name = f"answer_{key}"
                self.add_error(name if name in self.fields else None, messages)
        return data

    def answers(self) -> dict:
        given = {}
        for question in self.questions:
            name = f"answer_{question.key}"
            value = self.cleaned_data.get(name)
            if question.field_type != Type.CHECKBOX and value in (None, "", []):
                continue
            given[question.key] = value
        return given


def slot_value(slot: Slot, tz) -> str:
    """How a slot travels in the form: its start in the venue's time, with its offset."""
    return timezone.localtime(slot.starts_at, tz).isoformat()


def parse_slot(value) -> datetime | None:
    """A slot's start as the form sent it; None unless it is a moment with its offset."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def field_of_service_error(
    form: BookingRequestForm, name: str, product_ids: list[int]
) -> str | None:
    """The form field a service error's name points at; None for the summary alone."""
    parts = name.split(".")
    if parts[0] == "space_lines":
        rest = parts[2] if len(parts) > 2 else ""
        return {"space": "space", "places": "places", "layout": "layout"}.get(rest, "slot")
    if parts[0] == "product_lines" and len(parts) > 1 and parts[1].isdigit():
        number = int(parts[1])
        if number < len(product_ids):
            return f"extra_{product_ids[number]}"
    if parts[0] in ("customer", "contact") and len(parts) > 1:
        candidate = {"name": "last_name"}.get(parts[1], parts[1])
        return candidate if candidate in form.fields else None
    if name in form.fields:
        return name
    if f"answer_{name}" in form.fields:
        return f"answer_{name}"
    return None


# -- a change of a booking, asked through its manage link ----------------------------------------

CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


class ChangeSlotForm(SlotForm):
    """The booking form's space, day, length, places, layout and free slot, prefilled with the
    one space line a customer may move (see public.views.change.movable_line).

    The slots leave out the booking's own hold (an approved booking moved by half an hour
    overlaps itself), and the line's current time is always listed, marked, so that a
    change of places or layout alone keeps it.
    """

    def __init__(self, booking_form: BookingForm, line, *args, **kwargs):
        super().__init__(booking_form, *args, **kwargs)
        self.line = line
        self.ignoring = line.booking
        start = timezone.localtime(line.starts_at, self.tz)
        self.current_minutes = int((line.ends_at - line.starts_at) / timedelta(minutes=1))
        durations = self.fields["minutes"].choices
        if self.current_minutes not in {minutes for minutes, _ in durations}:
            durations = sorted(
                [*durations, (self.current_minutes, duration_text(self.current_minutes))]
            )
            self.fields["minutes"].choices = durations
        self.initial.update(
            space=line.space_id,
            day=start.date(),
            minutes=self.current_minutes,
            places=line.places,
            layout=line.layout_id,
            slot=start.isoformat(),
        )

    def chosen_start(self) -> datetime | None:
        return parse_slot(self.value_of("slot"))  # the current time until another is picked

    def is_current(self, slot: Slot) -> bool:
        return (
            slot.space.pk == self.line.space_id
            and slot.starts_at == self.line.starts_at
            and (slot.ends_at == self.line.ends_at)
        )

    def find_slots(self) -> list[Slot]:
        slots = super().find_slots()
        line = self.line
        current = Slot(
            line.space,
            timezone.localtime(line.starts_at, self.tz),
            timezone.localtime(line.ends_at, self.tz),
        )
        same_choice = (
            self.value_of("space") == line.space_id
            and self.value_of("day") == current.starts_at.date()
            and self.value_of("minutes") == self.current_minutes
        )
        if same_choice and not any(self.is_current(slot) for slot in slots):
            # Listed even when the form would not offer it now (within the notice, say):
            # keeping it is always a choice.
            self.slots = sorted([*slots, current], key=lambda slot: slot.starts_at)
        return self.slots

    def clean(self):
        data = super().clean()
        if data.get("slot") and "slot_start" in data:
            start = parse_slot(data["slot"])
            day = data.get("day")
            if start is None:
                self.add_error("slot", _("Choose one of the times offered."))
            elif day is not None and timezone.localtime(start, self.tz).date() != day:
                # The date was changed, but the time picked is still one of the old day's.
                self.add_error(
                    "slot",
                    _("Choose a time on %(day)s.") % {"day": date_format(day, "l j F Y")},
                )
            else:
                data["slot_start"] = start
        return data

    def asked_line(self) -> dict:
        """The line's change as a request names it: its id and only what differs; {} if nothing."""
        data, line = self.cleaned_data, self.line
        starts_at = data["slot_start"]
        ends_at = starts_at + timedelta(minutes=data["minutes"])
        asked: dict = {}
        if starts_at != line.starts_at:
            asked["starts_at"] = starts_at.isoformat()
        if ends_at != line.ends_at:
            asked["ends_at"] = ends_at.isoformat()
        if data["space"] != line.space_id:
            asked["space_id"] = data["space"]
        if data.get("layout") != line.layout_id:
            asked["layout_id"] = data.get("layout")
        if data["places"] != line.places:
            asked["places"] = data["places"]
        return {"id": line.pk, **asked} if asked else {}


def answer_as_typed(question: CustomField, answer):
    """A stored answer as its form field shows it (numbers as text, a list, a tick)."""
    if question.field_type == Type.CHECKBOX:
        return bool(answer)
    if question.field_type == Type.MULTI_CHOICE:
        return list(answer or [])
    return "" if answer is None else str(answer)


class ChangeDetailsForm(forms.Form):
    """The contact details, the answers to the form's questions and a note, prefilled from the
    booking. `contact_changes()` and `answer_changes()` give only what differs from it."""

    contact_name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter the name of the person to contact.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_email = email_field(
        help_text=_("The venue's messages about this booking go here."),
        required=_("Enter an e-mail address."),
    )
    contact_phone = phone_field()
    request_note = forms.CharField(
        label=_("Note to the venue"),
        help_text=_("Why you ask for the change, or anything else they should know."),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, booking, booking_form: BookingForm | None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.booking = booking
        self.booking_form = booking_form
        customer = booking.customer
        self.initial.update(
            contact_name=booking.contact_name or customer.full_name,
            contact_email=booking.contact_email or customer.email,
            contact_phone=booking.contact_phone or customer.phone,
        )
        for name in ("contact_name", "contact_email"):
            # Required once there is one: a booking made by staff may have none yet.
            self.fields[name].required = bool(self.initial[name])
        self.questions = list(booking_form.custom_fields.all()) if booking_form else []
        for question in self.questions:
            name = f"answer_{question.key}"
            self.fields[name] = answer_field(question)
            self.initial[name] = answer_as_typed(question, booking.answers.get(question.key))

    def event_questions(self) -> list[forms.BoundField]:
        return self._questions_in(CustomField.Section.EVENT)

    def contact_questions(self) -> list[forms.BoundField]:
        return self._questions_in(CustomField.Section.CONTACT)

    def _questions_in(self, section: str) -> list[forms.BoundField]:
        return [self[f"answer_{q.key}"] for q in self.questions if q.section == section]

    def clean(self):
        data = super().clean()
        changed = [q for q in self.questions if f"answer_{q.key}" in self.changed_data]
        given = {q.key: data.get(f"answer_{q.key}") for q in changed}
        data["answers"] = {}
        if given:
            try:
                data["answers"] = clean_answers(self.booking_form, given, partial=True)
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    name = f"answer_{key}"
                    self.add_error(name if name in self.fields else None, messages)
        return data

    def contact_changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in CONTACT_FIELDS
            if self.cleaned_data[name] != self.initial[name]
        }

    def answer_changes(self) -> dict:
        """Answers that differ from the booking's (None clears one)."""
        stored = self.booking.answers
        return {
            key: answer
            for key, answer in self.cleaned_data["answers"].items()
            if answer != stored.get(key) and not (answer is False and key not in stored)
        }


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you canceling?"),
        help_text=_("The venue reads this with your cancellation."),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
