"""Custom-field answers: every type's accepted and refused values, and the rules around them."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bookings.answers import clean_answers
from tests import factories as f
from venues.models import CustomField

pytestmark = pytest.mark.django_db

Type = CustomField.Type
PHONE = r"\+?[0-9 ()-]{7,20}"
DIETS = ["Vegetarian", "Vegan", "Gluten-free"]


def make_field(field_type=Type.TEXT, **options):
    if field_type in CustomField.CHOICE_TYPES:
        options.setdefault("choices", DIETS)
    return f.CustomFieldFactory(field_type=field_type, **options)


def clean_one(field, value, **kwargs):
    """The cleaned answer to `field`, or a marker when nothing is stored."""
    return clean_answers(field.form, {field.key: value}, **kwargs).get(field.key, "<absent>")


def refusal(form, answers, **kwargs):
    with pytest.raises(ValidationError) as refused:
        clean_answers(form, answers, **kwargs)
    return refused.value.message_dict


def refusal_of(field, value, **kwargs):
    """The messages given for one refused answer."""
    return refusal(field.form, {field.key: value}, **kwargs)[field.key]


# The answers as a whole


@pytest.mark.parametrize("answers", [["a"], "a", None, 42])
def test_answers_that_are_not_an_object_are_refused(answers):
    form = f.BookingFormFactory()
    assert "answers" in refusal(form, answers)


def test_a_form_without_fields_accepts_no_answers():
    assert clean_answers(f.BookingFormFactory(), {}) == {}


def test_an_unknown_key_is_refused_by_name():
    field = make_field()
    errors = refusal(field.form, {field.key: "ok", "shoe_size": "44"})
    assert errors == {"shoe_size": ["Unknown field."]}


def test_every_bad_answer_is_reported_at_once_naming_each_key():
    form = f.BookingFormFactory()
    name = make_field(form=form, key="name", required=True)
    guests = make_field(Type.NUMBER, form=form, key="guests")
    email = make_field(Type.EMAIL, form=form, key="email")
    make_field(form=form, key="company")
    errors = refusal(form, {guests.key: "many", email.key: "nope", "shoe_size": 44})
    assert set(errors) == {name.key, guests.key, email.key, "shoe_size"}
    assert errors[name.key] == ["This field is required."]


def test_errors_carry_a_machine_readable_code():
    field = make_field(required=True)
    with pytest.raises(ValidationError) as refused:
        clean_answers(field.form, {"shoe_size": 1})
    codes = {
        key: [error.code for error in errors] for key, errors in refused.value.error_dict.items()
    }
    assert codes == {field.key: ["required"], "shoe_size": ["unknown_field"]}


def test_answers_come_back_in_the_forms_field_order():
    form = f.BookingFormFactory()
    make_field(form=form, key="theme", section="event", position=1)
    make_field(form=form, key="title", section="event", position=0)
    make_field(form=form, key="phone", section="contact", position=5)
    answers = {"theme": "Jazz", "title": "Gala", "phone": "+34 600 000 000"}
    assert list(clean_answers(form, answers)) == ["phone", "title", "theme"]


def test_cleaned_answers_are_json_serialisable():
    form = f.BookingFormFactory()
    make_field(Type.NUMBER, form=form, key="budget")
    make_field(Type.DATE, form=form, key="day")
    make_field(Type.MULTI_CHOICE, form=form, key="diets")
    make_field(Type.CHECKBOX, form=form, key="terms")
    answers = {"budget": Decimal("99.90"), "day": date(2030, 3, 4), "diets": ("Vegan",)}
    cleaned = clean_answers(form, answers)
    assert json.loads(json.dumps(cleaned)) == {
        "budget": "99.9",
        "day": "2030-03-04",
        "diets": ["Vegan"],
        "terms": False,
    }


@pytest.mark.parametrize(
    ("field_type", "value"),
    [
        (Type.TEXT, "Ada\x00"),
        (Type.LONG_TEXT, "line\n\x00"),
        (Type.EMAIL, "ada@example.com\x00"),
        (Type.NUMBER, "12\x00"),
        (Type.CHOICE, "Vegan\x00"),
        (Type.MULTI_CHOICE, ["Vegan", "Vegetarian\x00"]),
        (Type.CHECKBOX, "true\x00"),
    ],
)
def test_nul_characters_are_refused_in_any_answer(field_type, value):
    field = make_field(field_type)
    assert refusal_of(field, value) == ["Null characters are not allowed."]


# Required and optional answers


@pytest.mark.parametrize("blank", ["", "   ", None, []])
@pytest.mark.parametrize("field_type", [Type.TEXT, Type.NUMBER, Type.MULTI_CHOICE])
def test_a_blank_required_answer_is_refused(field_type, blank):
    field = make_field(field_type, required=True)
    assert refusal_of(field, blank) == ["This field is required."]


def test_a_missing_required_answer_is_refused():
    field = make_field(required=True)
    assert refusal(field.form, {}) == {field.key: ["This field is required."]}


def test_a_required_field_uses_its_own_message():
    field = make_field(required=True, required_message="Tell us who is coming.")
    assert refusal_of(field, "") == ["Tell us who is coming."]


@pytest.mark.parametrize("unticked", [False, "false", "0", "off", "", None])
def test_a_required_checkbox_must_be_ticked(unticked):
    field = make_field(Type.CHECKBOX, required=True, required_message="Accept the terms.")
    assert refusal_of(field, unticked) == ["Accept the terms."]
    assert clean_one(field, True) is True


def test_a_missing_required_checkbox_is_refused():
    field = make_field(Type.CHECKBOX, required=True)
    assert refusal(field.form, {}) == {field.key: ["This field is required."]}


def test_an_optional_checkbox_without_an_answer_is_false():
    field = make_field(Type.CHECKBOX)
    assert clean_answers(field.form, {}) == {field.key: False}


@pytest.mark.parametrize("blank", ["", "  \n ", None, []])
def test_a_blank_optional_answer_is_left_out(blank):
    field = make_field(Type.MULTI_CHOICE)
    assert clean_answers(field.form, {field.key: blank}) == {}


def test_a_missing_optional_answer_without_a_default_is_left_out():
    field = make_field(Type.NUMBER)
    assert clean_answers(field.form, {}) == {}


# Defaults


@pytest.mark.parametrize(
    ("field_type", "default", "stored"),
    [
        (Type.TEXT, " Standard ", "Standard"),
        (Type.NUMBER, "12", 12),
        (Type.NUMBER, "2.50", "2.5"),
        (Type.DATE, "2030-03-04", "2030-03-04"),
        (Type.CHOICE, "Vegan", "Vegan"),
        (Type.MULTI_CHOICE, "Vegan", ["Vegan"]),
        (Type.CHECKBOX, "true", True),
    ],
)
def test_a_missing_answer_takes_the_fields_default_converted_to_its_type(
    field_type, default, stored
):
    field = make_field(field_type, default=default)
    assert clean_answers(field.form, {}) == {field.key: stored}


def test_a_default_satisfies_a_required_field():
    field = make_field(Type.NUMBER, required=True, default="2")
    assert clean_answers(field.form, {}) == {field.key: 2}


def test_a_blank_answer_does_not_bring_back_the_default():
    field = make_field(default="Standard")
    assert clean_answers(field.form, {field.key: ""}) == {}


def test_a_default_that_does_not_fit_its_type_is_reported_on_its_field():
    field = make_field(Type.CHOICE, default="Pescatarian")
    assert list(refusal(field.form, {})) == [field.key]


# Partial answers (change requests)


def test_partial_mode_checks_and_returns_only_the_answers_given():
    form = f.BookingFormFactory()
    make_field(form=form, key="name", required=True)
    make_field(Type.CHECKBOX, form=form, key="terms", required=True)
    make_field(Type.NUMBER, form=form, key="guests", default="10")
    phone = make_field(form=form, key="phone", regex=PHONE)
    assert clean_answers(form, {"phone": " +34 600 000 000 "}, partial=True) == {
        "phone": "+34 600 000 000"
    }
    assert list(refusal(form, {"phone": "call me"}, partial=True)) == [phone.key]


def test_partial_mode_refuses_blanking_a_required_answer():
    field = make_field(required=True)
    assert refusal_of(field, "  ", partial=True) == ["This field is required."]


def test_partial_mode_refuses_unticking_a_required_checkbox():
    field = make_field(Type.CHECKBOX, required=True)
    assert refusal_of(field, False, partial=True) == ["This field is required."]


def test_partial_mode_returns_none_for_a_cleared_optional_answer():
    field = make_field(default="Standard")
    assert clean_answers(field.form, {field.key: ""}, partial=True) == {field.key: None}


def test_partial_mode_still_refuses_unknown_keys():
    form = make_field().form
    assert refusal(form, {"shoe_size": "44"}, partial=True) == {"shoe_size": ["Unknown field."]}


# Text and long text


def test_text_is_stripped():
    assert clean_one(make_field(), "  Ada Lovelace \t") == "Ada Lovelace"


def test_text_turns_line_breaks_into_spaces():
    assert clean_one(make_field(), "Calle Mayor 1\r\n 28013 Madrid") == "Calle Mayor 1 28013 Madrid"


@pytest.mark.parametrize("field_type", [Type.TEXT, Type.LONG_TEXT, Type.EMAIL])
@pytest.mark.parametrize("value", [42, 4.2, True, ["Ada"], {"first": "Ada"}])
def test_text_answers_refuse_values_that_are_not_strings(field_type, value):
    assert refusal_of(make_field(field_type), value) == ["Enter text."]


def test_long_text_keeps_its_line_breaks_as_newlines():
    field = make_field(Type.LONG_TEXT)
    assert clean_one(field, "\n Dear team,\r\n\r\nthanks.\rAda \n") == "Dear team,\n\nthanks.\nAda"


@pytest.mark.parametrize("field_type", [Type.TEXT, Type.LONG_TEXT])
def test_text_may_be_as_long_as_max_length_after_stripping(field_type):
    field = make_field(field_type, max_length=5)
    assert clean_one(field, "  abcde  ") == "abcde"


@pytest.mark.parametrize("field_type", [Type.TEXT, Type.LONG_TEXT, Type.EMAIL])
def test_text_longer_than_max_length_is_refused_with_both_lengths(field_type):
    field = make_field(field_type, max_length=10)
    assert refusal_of(field, "ada@example.com") == ["Keep this to 10 characters (it has 15)."]


@pytest.mark.parametrize("phone", ["+34 600 000 000", "(030) 123-4567", "6000000"])
def test_text_matching_the_fields_regex_is_accepted(phone):
    field = make_field(regex=PHONE, regex_message="Enter a phone number.")
    assert clean_one(field, f" {phone} ") == phone


@pytest.mark.parametrize("not_a_phone", ["call me", "12345", "+34 600 000 000 ext. 4"])
def test_text_not_matching_the_regex_is_refused_with_its_message(not_a_phone):
    field = make_field(regex=PHONE, regex_message="Enter a phone number.")
    assert refusal_of(field, not_a_phone) == ["Enter a phone number."]


def test_the_regex_must_match_the_whole_answer_not_a_part_of_it():
    field = make_field(regex=r"[0-9]{5}")
    assert clean_one(field, "28013") == "28013"
    assert refusal_of(field, "28013 Madrid") == ["This answer is not in the expected format."]


def test_an_email_answer_can_have_a_regex_too():
    field = make_field(Type.EMAIL, regex=r".+@example\.com", regex_message="Use a work address.")
    assert refusal_of(field, "ada@gmail.com") == ["Use a work address."]


# E-mail


def test_an_email_is_stripped_and_kept_as_typed():
    assert clean_one(make_field(Type.EMAIL), "  Ada.L@Example.COM ") == "Ada.L@Example.COM"


@pytest.mark.parametrize("not_an_email", ["ada", "ada@", "ada@example", "a da@example.com"])
def test_an_invalid_email_is_refused(not_an_email):
    assert refusal_of(make_field(Type.EMAIL), not_an_email) == ["Enter a valid email address."]


# Numbers


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (12, 12),
        ("12", 12),
        (" 3 ", 3),
        ("12.0", 12),
        (12.0, 12),
        ("12.50", "12.5"),
        (12.5, "12.5"),
        (0.1, "0.1"),
        ("-0.25", "-0.25"),
        ("+5", 5),
        (".5", "0.5"),
        ("-0", 0),
        (Decimal("7.10"), "7.1"),
        (10**12, 10**12),
        ("-1000000000000", -(10**12)),
        ("0.000001", "0.000001"),
    ],
)
def test_a_number_is_stored_as_int_when_whole_and_as_a_decimal_string_otherwise(value, stored):
    cleaned = clean_one(make_field(Type.NUMBER), value)
    assert cleaned == stored
    assert type(cleaned) is type(stored)


@pytest.mark.parametrize(
    "value",
    [True, False, "twelve", "1e3", "12,5", "1 000", "0x1F", "NaN", "inf", float("nan")]
    + [float("inf"), float("-inf"), Decimal("NaN"), [12], {"value": 12}],
)
def test_a_value_that_is_not_a_plain_number_is_refused(value):
    assert refusal_of(make_field(Type.NUMBER), value) == ["Enter a number, such as 12 or 12.5."]


@pytest.mark.parametrize("value", [10**12 + 1, "-1000000000000.5", 1e13, "9" * 400])
def test_a_number_of_absurd_magnitude_is_refused(value):
    assert refusal_of(make_field(Type.NUMBER), value) == [
        "Enter a number between -10^12 and 10^12."
    ]


# Dates


@pytest.mark.parametrize(
    "value", ["2030-03-04", " 2030-03-04 ", date(2030, 3, 4)], ids=["iso", "spaced", "date"]
)
def test_a_date_is_stored_as_an_iso_string(value):
    assert clean_one(make_field(Type.DATE), value) == "2030-03-04"


@pytest.mark.parametrize(
    "value",
    [
        "04/03/2030",
        "2030-3-4",
        "20300304",
        "2030-03-04T10:00",
        "2030-02-30",
        "tomorrow",
        datetime(2030, 3, 4, 10, tzinfo=UTC),
        20300304,
    ],
)
def test_a_date_in_another_format_is_refused_with_a_message_naming_the_format(value):
    [message] = refusal_of(make_field(Type.DATE), value)
    assert "YYYY-MM-DD" in message


# Choices


def test_a_choice_must_be_one_of_the_options_exactly():
    field = make_field(Type.CHOICE)
    assert clean_one(field, "Vegan") == "Vegan"
    for wrong in ["vegan", " Vegan", "Pescatarian", ["Vegan"], 1]:
        assert refusal_of(field, wrong) == ["Choose one of: Vegetarian, Vegan, Gluten-free."]


def test_multiple_choices_are_stored_in_the_order_of_the_options():
    field = make_field(Type.MULTI_CHOICE)
    assert clean_one(field, ["Gluten-free", "Vegetarian"]) == ["Vegetarian", "Gluten-free"]


def test_a_single_string_counts_as_a_one_item_multiple_choice():
    assert clean_one(make_field(Type.MULTI_CHOICE), "Vegan") == ["Vegan"]


def test_a_multiple_choice_chosen_twice_is_refused_naming_it():
    field = make_field(Type.MULTI_CHOICE)
    assert refusal_of(field, ["Vegan", "Vegetarian", "Vegan"]) == ["Chosen more than once: Vegan."]


def test_a_multiple_choice_outside_the_options_is_refused_naming_it():
    field = make_field(Type.MULTI_CHOICE)
    assert refusal_of(field, ["Vegan", "Halal", "vegan"]) == [
        "Not an option: Halal, vegan. Choose from: Vegetarian, Vegan, Gluten-free."
    ]


@pytest.mark.parametrize("value", [42, {"Vegan": True}, ["Vegan", 1], True])
def test_a_multiple_choice_that_is_not_a_list_of_texts_is_refused(value):
    assert refusal_of(make_field(Type.MULTI_CHOICE), value) == ["Give a list of options."]


# Checkboxes


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("True", True),
        ("on", True),
        ("1", True),
        ("false", False),
        ("0", False),
        (" off ", False),
        ("", False),
    ],
)
def test_a_checkbox_accepts_booleans_and_form_words(value, stored):
    assert clean_one(make_field(Type.CHECKBOX), value) is stored


@pytest.mark.parametrize("value", ["yes", "maybe", 1, 0, [True], {"checked": True}])
def test_a_checkbox_refuses_anything_else(value):
    assert refusal_of(make_field(Type.CHECKBOX), value) == ["Give true or false."]


# Display
