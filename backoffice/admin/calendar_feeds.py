"""Admin of the venues' calendar feeds: secret addresses staff calendar apps subscribe to.

Feeds are for managers only (Action.MANAGE, as API keys): whoever holds an address reads
every booking of its venue without logging in. A feed is made by
venues.services.calendar_feed_create and its address shown once, on the page after
saving; only the token's hash is kept. A feed is revoked (for good) by the bulk action or
the Revoke button of its page, through calendar_feed_revoke; it cannot be edited. The
venue's page lists its feeds (catalogue.CalendarFeedInline).
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from backoffice.admin.catalogue import ManagersOnly, ScopedAdmin, related_only
from backoffice.admin.local_times import local_time
from backoffice.admin.through_services import RevokePage
from core.actors import Actor
from venues import services as venue_services
from venues.models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(RevokePage, ManagersOnly, ScopedAdmin):
    organization_path = "venue__organization"
    venue_path = "venue"
    change_form_template = "admin/venues/calendarfeed/change_form.html"
    list_display = ("name", "venue", "created_by", "created", "revoked")
    list_filter = (related_only("venue"), ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("venue", "created_by")
    search_fields = ("name", "venue__name")
    actions = ("revoke",)
    revoke_noun = "calendar feed"

    # Made and revoked through the services; never edited or deleted (revoked stays on record).
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("venue", "name")
        return ("venue", "name", "created_by", "created", "revoked")

    def get_readonly_fields(self, request, obj=None):
        return ("created", "revoked") if obj is None else self.get_fields(request, obj)

    @admin.display(description="Created", ordering="created_at")
    def created(self, feed: CalendarFeed) -> str:
        return local_time(feed.created_at, feed.venue.tzinfo)

    @admin.display(description="Revoked", ordering="revoked_at")
    def revoked(self, feed: CalendarFeed) -> str:
        return local_time(feed.revoked_at, feed.venue.tzinfo) if feed.revoked else "No"

    # -- making a feed --------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        token = venue_services.calendar_feed_create(actor=Actor.staff(request.user), feed=obj)
        address = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
        self.message_user(
            request,
            f"Calendar feed “{obj.name}” created. Copy its address now into the calendar app "
            "(“subscribe by URL”): it is shown only this once and cannot be recovered (only "
            f"its hash is kept): {address}",
            messages.WARNING,
        )

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the feed's page, where the message with the address is read once.
        return HttpResponseRedirect(self.change_url(obj))

    # -- revoking -------------------------------------------------------------------------

    @admin.action(description="Revoke selected calendar feeds", permissions=["view"])
    def revoke(self, request, queryset):
        actor = Actor.staff(request.user)
        count = sum(
            venue_services.calendar_feed_revoke(actor=actor, feed=feed)
            for feed in queryset.select_related("venue__organization")
        )
        self.message_user(request, f"{count} calendar feed(s) revoked.", messages.SUCCESS)

    def revoke_through_service(self, request, feed) -> bool:
        return venue_services.calendar_feed_revoke(actor=Actor.staff(request.user), feed=feed)

    def revoke_consequence(self, feed) -> str:
        return (
            "its address answers “not found” from the next fetch on; calendar apps may keep "
            "showing what they fetched before until they refresh."
        )
