"""JSON that people wrote, shown as people read it: answers under their questions' labels,
a change request as current and requested values side by side (bookings.changes)."""

import json

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from bookings.answers import answers_with_labels
from bookings.changes import ComparisonRow


def answers_html(booking) -> SafeString | str:
    """The booking's answers as a definition list: each question's label, then the answer."""
    shown = answers_with_labels(booking)
    if not shown:
        return "–"
    items = format_html_join("", "<dt>{}</dt><dd>{}</dd>", shown)
    return format_html('<dl class="answers">{}</dl>', items)


def comparison_html(rows: list[ComparisonRow]) -> SafeString | str:
    """A table of what is asked: the field, its current and its requested value; a row that
    changes says so in words (for screen readers and print) as well as by its style."""
    if not rows:
        return "–"
    body = format_html_join(
        "",
        '<tr{}><th scope="row">{}{}</th><td>{}</td><td>{}</td></tr>',
        (
            (
                format_html(' class="{}"', "changed") if row.changed else "",
                row.what,
                format_html(' <span class="change-mark">({})</span>', "changes")
                if row.changed
                else "",
                row.current,
                row.requested,
            )
            for row in rows
        ),
    )
    return format_html(
        '<table class="comparison"><thead><tr><th scope="col">Field</th>'
        '<th scope="col">Current</th><th scope="col">Requested</th></tr></thead>'
        "<tbody>{}</tbody></table>",
        body,
    )


def details_html(data: dict) -> SafeString | str:
    """What a log entry recorded besides its status ("source: staff", "line: 12"), one
    line each; nested values are written out as JSON."""
    if not data:
        return "–"
    items = format_html_join(
        "",
        "<dt>{}</dt><dd>{}</dd>",
        (
            (
                str(key).replace("_", " ").capitalize(),
                value if isinstance(value, str) else json.dumps(value),
            )
            for key, value in data.items()
        ),
    )
    return format_html('<dl class="answers">{}</dl>', items)
