"""Admins that save and delete through the services, as the API does, and show their refusals.

The stock admin validates the model in its form and writes the row itself. Here the form
only reads the input; `save_model` hands the changed fields to the model's service, which
runs the model's checks and its own rules (the ones that protect bookings). A refusal
rolls the whole save back, inlines included, and the page is shown again with the
service's words on the fields it names: never a 500, nothing written.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.actors import Actor
from core.errors import BookingError

# Where the first attempt leaves the service's refusal for the second, which shows it.
REFUSAL = "_venuedesk_refusal"


class Refused(Exception):
    """A service said no; raised out of the admin's transaction so that it rolls back."""

    def __init__(self, error: ValidationError | BookingError) -> None:
        super().__init__(str(error))
        self.error = error


def refusal_text(error: ValidationError | BookingError) -> str:
    """The refusal in one line, for a message (deletes) or a form's top error."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


class ServiceForm(forms.ModelForm):
    """Reads the admin's input; checking it against the model and the rules is the service's.

    `refusal` is set on the form of the second attempt, after a service refused the first.
    """

    refusal: ValidationError | BookingError | None = None

    def _post_clean(self):
        # Django validates and fills the instance here. The service does both, with the
        # rules of every door; the form leaves the instance as stored (save_model passes
        # the changes) and only reports what the service answered.
        if self.refusal is not None:
            self.add_refusal(self.refusal)

    def add_refusal(self, error: ValidationError | BookingError) -> None:
        if not isinstance(error, ValidationError):
            self.add_error(None, str(error))
            return
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, field_errors in error.error_dict.items():
            if name in self.fields:
                self.add_error(name, field_errors)
                continue
            label = self.field_label(name)
            for message in ValidationError(field_errors).messages:
                self.add_error(None, f"{label}: {message}" if label else message)

    def field_label(self, name: str) -> str:
        if name == NON_FIELD_ERRORS:
            return ""
        try:
            return str(self._meta.model._meta.get_field(name).verbose_name).capitalize()
        except LookupError:
            return name


class ThroughServices:
    """A ModelAdmin mixin: rows are saved (and deleted) by the model's services.

    `service_fields` are the fields the service changes (the form offers those);
    `creation_fields` are set on a new object before the service runs (its organisation)
    and are read-only afterwards. Subclasses implement `save_through_service` and, where
    a delete service exists, `delete_through_service`; without one the stock delete runs,
    guarded by the database's protected relations. The stock bulk delete is never
    offered: it would not ask the services.
    """

    form = ServiceForm
    service_fields: tuple[str, ...] = ()
    creation_fields: tuple[str, ...] = ()
    delete_through_service = None  # (request, obj) -> None, where a delete service exists

    def save_through_service(self, request, obj, changes: dict):
        """Call the service; answer the saved object."""
        raise NotImplementedError

    @staticmethod
    def actor(request) -> Actor:
        return Actor.staff(request.user)

    # -- the form -----------------------------------------------------------------------

    def get_fields(self, request, obj=None):
        return (*self.creation_fields, *self.service_fields, *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if obj is None else (*self.creation_fields, *readonly)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL, None)
        if refusal is None:
            return form_class
        return type(form_class.__name__, (form_class,), {"refusal": refusal})

    # -- saving -------------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            # The first attempt's transaction is rolled back; the second shows the form
            # again with the refusal on it and saves nothing.
            setattr(request, REFUSAL, refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            names = [name for name in form.changed_data if name in self.service_fields]
        else:
            for name in self.creation_fields:
                setattr(obj, name, data[name])
            names = [name for name in self.service_fields if name in data]
        try:
            saved = self.save_through_service(request, obj, {name: data[name] for name in names})
        except (ValidationError, BookingError) as error:
            raise Refused(error) from error
        if saved is not obj:  # a service that re-read the row under its lock
            obj.refresh_from_db()

    # -- deleting -----------------------------------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            # Protected objects are never deleted with it, so whether this user may delete
            # them is beside the point: the page lists them as what keeps the object.
            perms_needed = set()
            if self.delete_through_service is not None and request.method == "POST":
                # Whether it may go is the service's decision, made when it is asked
                # (the page may be stale) and explained in its words.
                protected = []
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        if self.delete_through_service is None:
            super().delete_model(request, obj)
            return
        try:
            self.delete_through_service(request, obj)
        except (ValidationError, BookingError) as error:
            raise Refused(error) from error

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refused:
            self.message_user(request, refusal_text(refused.error), messages.ERROR)
            meta = self.opts
            change_url = reverse(
                f"admin:{meta.app_label}_{meta.model_name}_change",
                args=[object_id],  # as it came in the URL, quoted already
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(change_url)
