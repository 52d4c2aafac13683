"""What every staff page shares: who the member is, which organisations they see, and how
a refused action is told."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from core.actors import Actor
from venues.selectors import organization_list


def staff_page(view):
    """A page for signed-in staff: others go to the login page. The view finds the member
    as `request.actor` and the organisations they may see as `request.organizations`; a
    member of none gets a page that says so (never another organisation's data)."""

    @wraps(view)
    def page(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "staff:login")
        request.actor = Actor.staff(user)
        request.organizations = organization_list(actor=request.actor)
        if not user.is_staff or not request.organizations.exists():
            return render(request, "staff/no_organisation.html", status=403)
        return view(request, *args, **kwargs)

    return page
