"""A honeypot for the customer's forms: a `website` field no person sees or fills.

People never see the field (it sits off-screen, hidden from assistive technology and out
of the tab order, with autofill off); form-filling robots fill it. A form with it filled
is answered as if it had worked, and nothing is done, so the robot learns nothing.

    class MyForm(HoneypotMixin, forms.Form): ...

    form = MyForm(request.POST)
    if form.caught_in_honeypot:
        return redirect(<where success leads>)   # nothing saved, nothing sent

and in the template, inside the <form>: {% include "public/_honeypot.html" %}
(it renders `form.website`; a template that loops over the fields must skip it).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

HONEYPOT_FIELD = "website"


class HoneypotField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Leave this empty"))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
        )
        super().__init__(**kwargs)


class HoneypotMixin(forms.Form):
    """Adds the `website` honeypot field to a form; see `caught_in_honeypot`."""

    website = HoneypotField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Last, after the form's own fields, whichever order the classes are mixed in.
        self.fields[HONEYPOT_FIELD] = self.fields.pop(HONEYPOT_FIELD)

    @property
    def caught_in_honeypot(self) -> bool:
        """True when the hidden field came back filled: a robot, to be answered as if it
        had worked, with nothing done. Read from the raw data: no need to validate first."""
        return self.is_bound and bool(str(self.data.get(HONEYPOT_FIELD) or "").strip())
