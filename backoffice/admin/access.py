"""Admin of who gets in: organisations, their members, their API keys, and the login records.

API keys are for managers only (Action.MANAGE): others do not see them. A key is made by
venues.services.api_key_create and its secret shown once, on the page after saving; only
its hash is stored. A key is revoked (for good) by the bulk action or the Revoke button of
its page, through api_key_revoke; a revoked key is read-only.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from backoffice.admin.catalogue import OrganizationScopedAdmin, ScopedAdmin, related_only
from backoffice.admin.local_times import VenueTimeZone
from backoffice.admin.through_services import (
    RevokePage,
    ServiceForm,
    ThroughServices,
    refusal_text,
)
from core.actors import Actor
from core.errors import BookingError
from core.permissions import Action, Scope
from venues import services as venue_services
from venues.models import Membership, Organization, OrganizationAPIKey

# -- organisations and members --------------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(ThroughServices, ScopedAdmin):
    organization_path = "pk"
    service_fields = venue_services.ORGANIZATION_FIELDS
    readonly_fields = ("created_at",)

    def save_through_service(self, request, organization, changes):
        return venue_services.organization_save(
            actor=self.actor(request), organization=organization, changes=changes
        )

    # Managers run their organisation; only superusers open or close one.
    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    list_display = ("name", "slug", "email", "currency", "created_at")
    search_fields = ("name", "slug", "email")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", related_only("organization"))
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "user__email", "organization__name")
    readonly_fields = ("created_at",)
    creation_fields = ("organization",)
    service_fields = venue_services.MEMBERSHIP_FIELDS

    def save_through_service(self, request, membership, changes):
        return venue_services.membership_save(
            actor=self.actor(request), membership=membership, changes=changes
        )

    def delete_through_service(self, request, membership):
        venue_services.membership_delete(actor=self.actor(request), membership=membership)


# -- API keys -------------------------------------------------------------------------------

# The library's plain APIKey admin would list every organisation's keys.
admin.site.unregister(APIKey)


class APIKeyForm(ServiceForm):
    """Name, organisation, scopes as check boxes, expiry; the model checks them."""

    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Read: see bookings and the catalogue. Write: take and change bookings. "
        "Approve: approve, deny and cancel bookings, decide change requests.",
    )

    class Meta:
        model = OrganizationAPIKey
        fields = ("name", "organization", "scopes", "expiry_date")


@admin.register(OrganizationAPIKey)
class OrganizationAPIKeyAdmin(
    RevokePage, ThroughServices, VenueTimeZone, OrganizationScopedAdmin, APIKeyModelAdmin
):
    """Keys are shown by prefix; the key itself is shown once, when it is created."""

    organization_path = "organization"
    # Only managers see keys, and only their own organisations' keys: a key lets its holder
    # act for the organisation.
    view_action = Action.MANAGE
    edit_action = Action.MANAGE
    form = APIKeyForm
    change_form_template = "admin/venues/organizationapikey/change_form.html"
    list_display = (
        "prefix",
        "name",
        "organization",
        "scope_words",
        "created",
        "last_used_at",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", related_only("organization"), "created")
    list_select_related = ("organization",)
    search_fields = ("name", "prefix", "organization__name")
    actions = ("revoke",)
    details = ("prefix", "created", "last_used_at", "revoked")
    revoke_noun = "API key"
    creation_fields = ("organization",)
    service_fields = venue_services.API_KEY_FIELDS

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the log names the key that acted

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.revoked:
            return False  # a revoked key stays as it was, for the record
        return super().has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "organization", "scopes", "expiry_date")
        return ("name", "organization", "scopes", "expiry_date", *self.details)

    def get_readonly_fields(self, request, obj=None):
        # A key never moves to another organisation; it is revoked with the button.
        return () if obj is None else ("organization", *self.details)

    @admin.display(description="Scopes")
    def scope_words(self, api_key: OrganizationAPIKey) -> str:
        labels = dict(Scope.choices)
        return ", ".join(str(labels.get(scope, scope)) for scope in api_key.scopes)

    # -- making a key ---------------------------------------------------------------------

    def save_through_service(self, request, api_key, changes):
        actor = self.actor(request)
        if not api_key._state.adding:  # a new key's id is "" until it gets its key
            return venue_services.api_key_update(actor=actor, api_key=api_key, changes=changes)
        for name, value in changes.items():
            setattr(api_key, name, value)
        secret = venue_services.api_key_create(actor=actor, api_key=api_key)
        self.message_user(
            request,
            f"API key “{api_key.name}” created. Copy it now: it is shown only this once and "
            f"cannot be recovered (only its hash is kept): {secret}",
            messages.WARNING,
        )
        return api_key

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the key's page, where the message with the secret is read once.
        return HttpResponseRedirect(self.change_url(obj))

    # -- revoking -------------------------------------------------------------------------

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        actor = Actor.staff(request.user)
        count = 0
        for api_key in queryset.select_related("organization"):
            try:
                count += venue_services.api_key_revoke(actor=actor, api_key=api_key)
            except (ValidationError, BookingError) as error:
                self.message_user(request, f"{api_key.name}: {refusal_text(error)}", messages.ERROR)
        self.message_user(request, f"{count} API key(s) revoked.", messages.SUCCESS)

    def revoke_through_service(self, request, api_key) -> bool:
        return venue_services.api_key_revoke(actor=self.actor(request), api_key=api_key)

    def revoke_consequence(self, api_key) -> str:
        return (
            f"the key {api_key.prefix}… of {api_key.organization} is refused by the API from "
            "the next request on."
        )


# -- login records --------------------------------------------------------------------------


class SuperuserOnlyAdmin:
    """For superusers only, whatever Django permissions or roles a staff user holds."""

    @staticmethod
    def is_superuser(request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return self.is_superuser(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.is_superuser(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.is_superuser(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.is_superuser(request)


# django-axes' login records (failed attempts, lockouts, logins) span every organisation:
# only superusers see them, and clear a lockout by deleting its access attempt.
for model, library_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    admin.site.unregister(model)
    admin.site.register(
        model, type(library_admin.__name__, (SuperuserOnlyAdmin, library_admin), {})
    )
