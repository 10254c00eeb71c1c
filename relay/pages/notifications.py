"""The notification pages, drawn on the server (no script needed): a person's own choices,
and the one-click unsubscribe page every email links to (RFC 8058)."""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from relay.accounts.access import require_usable
from relay.errors import AccessDenied, InvalidRequest, NotSignedIn
from relay.notifications.actions import set_notifications, unsubscribe
from relay.notifications.models import NotificationPreference
from relay.notifications.selectors import preference_wire
from relay.pages.views import shell_context

# Offered in the time-zone list; any IANA name is accepted by the API.
TIME_ZONES = ("Europe/London", "Europe/Dublin", "UTC")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def notifications_page(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own choices; not signed in: to sign-in; staff without their
    second factor: 404, as the API answers.

    The form posts as a navigation, and Relay's pages send no referrer, so the browser's
    ``Origin`` is ``null`` and Django's CSRF origin check would refuse every save. Instead:
    the session cookie is ``SameSite=Strict`` (another site's form arrives signed out), and
    a browser that says where the request came from (``Sec-Fetch-Site``) must say this
    site; anything else is 403 and changes nothing."""
    if request.method == "POST" and request.headers.get("Sec-Fetch-Site", "same-origin") not in (
        "same-origin",
        "none",
    ):
        return HttpResponseForbidden(_("This form must be sent from Relay's own page."))
    try:
        user = require_usable(request.user)
    except NotSignedIn:
        return HttpResponseRedirect("/signin")
    except AccessDenied:
        raise Http404() from None
    context = shell_context("notifications")
    choices = preference_wire(user)
    if request.method == "POST":
        form = request.POST
        channels, email, phone = (
            form.getlist("channels"),
            form.get("email", ""),
            form.get("phone", ""),
        )
        start, end = form.get("quiet_start") or None, form.get("quiet_end") or None
        zone = form.get("time_zone", "Europe/London")
        try:
            set_notifications(
                actor=user,
                channels=channels,
                email=email,
                phone=phone,
                quiet_start=start,
                quiet_end=end,
                time_zone=zone,
            )
        except InvalidRequest as refused:
            context["problem"] = refused.message
            choices = {
                "channels": channels,
                "email": email,
                "phone": phone,
                "time_zone": zone,
                "quiet_hours": {"start": start or "", "end": end or ""},
            }
        else:
            context["saved"] = True
            choices = preference_wire(user)
    context.update({"choices": choices, "time_zones": TIME_ZONES})
    return render(request, "pages/notifications.html", context)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """``GET`` shows one button (a mail scanner following the link unsubscribes no one);
    ``POST`` — the button, or the mail client's one-click ``List-Unsubscribe-Post`` — turns
    every notification off. No session is needed, so the POST is exempt from CSRF: the
    unguessable token in the path is the authority. An unknown token is 404."""
    if request.method == "POST":
        try:
            unsubscribe(token=token)
        except AccessDenied:
            raise Http404() from None
        return render(request, "pages/unsubscribed.html", shell_context("unsubscribed"))
    if not token or not NotificationPreference.objects.filter(unsubscribe_token=token).exists():
        raise Http404()
    return render(request, "pages/unsubscribe.html", shell_context("unsubscribe"))


urlpatterns = [
    path("settings/notifications", notifications_page),
    path(
        "notifications/unsubscribe/<str:token>",
        unsubscribe_page,
        name="notifications-unsubscribe",
    ),
]
