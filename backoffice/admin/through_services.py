"""Admins that save and delete through the services, as the API does, and show their refusals.

The stock admin validates the model in its form and writes the row itself. Here the form
only reads the input; `save_model` hands the changed fields to the model's service, which
runs the model's checks and its own rules (the ones that protect bookings). Inline rows
(`InlineThroughServices`) go the same way, each to its own service. A refusal rolls the
whole save back, inlines included, and the page is shown again with the service's words
on the fields it names (on the refused row, for an inline): never a 500, nothing written.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.actors import Actor
from core.errors import BookingError
from core.permissions import Action

# Where the first attempt leaves the service's refusal for the second, which shows it.
REFUSAL = "_venuedesk_refusal"
ROW_REFUSAL = "_venuedesk_row_refusal"


class Refused(Exception):
    """A service said no; raised out of the admin's transaction so that it rolls back."""

    def __init__(self, error: ValidationError | BookingError) -> None:
        super().__init__(str(error))
        self.error = error


class RowRefused(Refused):
    """A service said no to one inline row: the row `index` of the formset `prefix`."""

    def __init__(self, error: ValidationError | BookingError, *, prefix: str, index: int) -> None:
        super().__init__(error)
        self.prefix, self.index = prefix, index


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
            if name in self.fields and not self[name].is_hidden:
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
        except RowRefused as refused:
            setattr(request, ROW_REFUSAL, refused)
        except Refused as refused:
            setattr(request, REFUSAL, refused.error)
        # The first attempt's transaction is rolled back; the second shows the form again
        # with the refusal on it and saves nothing.
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

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the service saved the many-to-many fields with the row.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, ServiceFormSet):
            formset.save_through_services(request)
        else:
            formset.save()

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


# -- inline rows ----------------------------------------------------------------------------


class ServiceFormSet(BaseInlineFormSet):
    """An inline formset whose rows its inline's services save (InlineThroughServices).

    `inline` is the inline admin; `refused` the RowRefused of the first attempt, shown on
    its row (or above the rows, for a row marked for deletion).
    """

    inline: "InlineThroughServices"
    refused: RowRefused | None = None

    def refused_here(self, index: int | None = None) -> bool:
        refused = self.refused
        return (
            refused is not None and refused.prefix == self.prefix and index in (None, refused.index)
        )

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.refused_here(i):
            form.refusal = self.refused.error
        return form

    def clean(self):
        super().clean()
        if self.refused_here():
            form = self.forms[self.refused.index]
            if self._should_delete_form(form):
                raise ValidationError(f"{form.instance}: {refusal_text(self.refused.error)}")

    def save_through_services(self, request) -> None:
        """Deleted rows first, then changed ones, then new ones (as the stock save)."""
        inline, parent = self.inline, self.fk.name
        editable = [name for name in inline.service_fields if name != parent]
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        deleted = [form for form in self.initial_forms if self._should_delete_form(form)]
        changed = [form for form in self.initial_forms if form not in deleted]
        for form in deleted:
            self.call(form, inline.delete_row, request, form.instance)
            self.deleted_objects.append(form.instance)
        for form in changed:
            if form.has_changed():
                names = [name for name in form.changed_data if name in editable]
                self.changed_objects.append((self.save_row(request, form, names), names))
        for form in self.extra_forms:
            if form.has_changed() and not self._should_delete_form(form):
                setattr(form.instance, parent, self.instance)
                names = [name for name in editable if name in form.cleaned_data]
                self.new_objects.append(self.save_row(request, form, names))

    def save_row(self, request, form, names):
        changes = {name: form.cleaned_data[name] for name in names}
        return self.call(form, self.inline.save_row, request, form.instance, changes)

    def call(self, form, service_call, *args):
        try:
            return service_call(*args)
        except (ValidationError, BookingError) as error:
            raise RowRefused(error, prefix=self.prefix, index=self.forms.index(form)) from error


class InlineThroughServices:
    """An inline mixin: each new or changed row is saved by `save_row`, each deleted row by
    `delete_row`, under a ThroughServices parent admin; a refusal is shown on its row.

    `service_fields` are the fields the row's service changes (the parent's relation is
    set on a new row before its service runs).
    """

    form = ServiceForm
    formset = ServiceFormSet
    service_fields: tuple[str, ...] = ()

    def save_row(self, request, row, changes: dict):
        """Call the row's service; answer the saved row."""
        raise NotImplementedError

    def delete_row(self, request, row) -> None:
        raise NotImplementedError

    @staticmethod
    def actor(request) -> Actor:
        return Actor.staff(request.user)

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)
        attributes = {"inline": self, "refused": getattr(request, ROW_REFUSAL, None)}
        return type(formset_class.__name__, (formset_class,), attributes)


class RevokePage:
    """A ModelAdmin mixin: a "Revoke…" page for a secret (an API key, a calendar feed) that
    asks once, then revokes through the model's service. Subclasses implement
    `revoke_through_service(request, obj) -> bool` (False: it was revoked already) and
    set `revoke_noun` ("API key") and `revoke_consequence(obj)` (what stops working)."""

    revoke_noun = ""

    def revoke_through_service(self, request, obj) -> bool:
        raise NotImplementedError

    def revoke_consequence(self, obj) -> str:
        raise NotImplementedError

    def get_urls(self):
        meta = self.opts
        return [
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name=f"{meta.app_label}_{meta.model_name}_revoke",
            ),
            *super().get_urls(),
        ]

    def revoke_view(self, request, object_id):
        """GET: are you sure? POST: revoke it (revoked already is told apart, not an error)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.may(request, Action.MANAGE, obj):
            raise PermissionDenied
        if request.method == "POST":
            try:
                revoked = self.revoke_through_service(request, obj)
            except (ValidationError, BookingError) as error:
                self.message_user(request, refusal_text(error), messages.ERROR)
            else:
                if revoked:
                    words = f"{self.revoke_noun} “{obj}” is revoked: {self.revoke_consequence(obj)}"
                    self.message_user(request, words, messages.SUCCESS)
                else:
                    self.message_user(
                        request, f"This {self.revoke_noun} was revoked already.", messages.INFO
                    )
            return HttpResponseRedirect(self.change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Revoke the {self.revoke_noun} “{obj}”?",
            "subtitle": None,
            "object": obj,
            "noun": self.revoke_noun,
            "consequence": self.revoke_consequence(obj),
            "change_url": self.change_url(obj),
        }
        return TemplateResponse(request, "admin/venuedesk/revoke.html", context)
