"""Server-rendered page shells for the browser client (frontend/).

Each page is plain HTML with one external script and one style sheet: everything the page
shows about messages is decrypted in the browser, never rendered here. Pages are never
cached, so Back after a quick exit or sign-out cannot show an old page from the cache.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Choices
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from relay import operations
from relay.accounts.models import MANAGER_ROLES, Role, User
from relay.cases.models import Complexity, OffenceCategory
from relay.cases.selectors import follow_ups_for
from relay.cases.states import SUITABILITY_CRITERIA
from relay.errors import AccessDenied, InvalidRequest, NotSignedIn, RelayError
from relay.headers import PERMISSIONS_POLICY
from relay.hub.selectors import hub
from relay.outcomes.models import AgreementItemKind
from relay.referrals.models import ConsentGivenBy, ConsentMethod, DeclineReason, ReferralSource
from relay.statistics.access import access_statistics
from relay.statistics.charts import chart_for
from relay.statistics.export import statistics_csv
from relay.statistics.figures import Period, compute
from relay.surface import Caller

# Page name -> (template, title). The title is what a screen reader announces first; it is
# translated when the page is drawn, in the language active for that request.
PAGES = {
    "home": ("pages/home.html", _("Welcome")),
    "signin": ("pages/signin.html", _("Sign in")),
    "enrol": ("pages/enrol.html", _("Set up your account")),
    "conversation": ("pages/conversation.html", _("Your conversation")),
    "cases": ("pages/cases.html", _("Your cases")),
    "case": ("pages/case.html", _("Case")),
    "survey": ("pages/survey.html", _("How did it go?")),
    "consent": ("pages/consent.html", _("How you take part")),
    "supporters": ("pages/supporters.html", _("Your supporters")),
    "supporting": ("pages/supporting.html", _("Supporting someone")),
    "statistics": ("pages/statistics.html", _("Statistics")),
    "comments": ("pages/comments.html", _("Survey comments")),
    # Notifications (relay/pages/notifications.py).
    "notifications": ("pages/notifications.html", _("Notifications")),
    "unsubscribe": ("pages/unsubscribe.html", _("Stop notifications")),
    "unsubscribed": ("pages/unsubscribed.html", _("Notifications stopped")),
    "refer": ("pages/refer.html", _("Restorative justice: refer yourself")),
    "referral_status": ("pages/referral_status.html", _("What was decided")),
    "intake": ("pages/intake.html", _("Referrals")),
    "referrals": ("pages/referrals.html", _("Refer someone")),
    "meetings": ("pages/meetings.html", _("Your meetings")),
    "meeting": ("pages/meeting.html", _("Meeting")),
    # The hub's public face (docs/frontend.md, "Public pages"): drawn from the hub's record.
    "about": ("pages/about.html", _("About restorative justice")),
    "help": ("pages/help.html", _("Help and other support")),
    "contact": ("pages/contact.html", _("Contact us")),
    "privacy": ("pages/privacy.html", _("Privacy notice")),
    "accessibility": ("pages/accessibility.html", _("Accessibility statement")),
    "cookies": ("pages/cookies.html", _("Cookies")),
    "password": ("pages/password.html", _("Change your password")),
}

# Pages only staff use: no quick exit there (Escape belongs to the page), a visible Sign out.
STAFF_PAGES = frozenset({"cases", "case", "statistics", "comments", "intake", "referrals"})

# Pages where a file is attached or opened: their shells carry the attachment limits.
ATTACHING_PAGES = frozenset({"conversation", "case"})

PUBLIC_PAGES = ("about", "help", "contact", "privacy", "accessibility", "cookies")


def shell_context(page: str) -> dict[str, object]:
    """What every page shell needs: the page name, the quick-exit address and, in test
    settings only, a lowered Argon2id floor matching the cheap server parameters."""
    template, title = PAGES[page]
    context: dict[str, object] = {
        "page": page,
        "title": title,
        "quick_exit_url": settings.RELAY_QUICK_EXIT_URL,
        "kdf_floor": None,
        "staff_page": page in STAFF_PAGES,
    }
    if page in ATTACHING_PAGES:
        # The limits the attachment upload enforces (docs/attachments.md), shown before a
        # file is chosen and checked in the browser before it is encrypted.
        context["attachment_limits"] = {
            "file": settings.RELAY_ATTACHMENT_MAX_BYTES,
            "case": settings.RELAY_ATTACHMENTS_MAX_CASE_BYTES,
        }
    if getattr(settings, "RELAY_TEST_KDF_FLOOR", False):
        context["kdf_floor"] = f"{settings.RELAY_KDF_OPSLIMIT} {settings.RELAY_KDF_MEMLIMIT}"
    return context


def page_view(page: str):
    @require_GET
    @never_cache
    def view(request: HttpRequest, **kwargs: object) -> HttpResponse:
        context = shell_context(page)
        context.update({k: str(v) for k, v in kwargs.items()})
        if page == "case":
            # The assessment form's criteria, named by the rule's own table.
            context["suitability_criteria"] = list(SUITABILITY_CRITERIA.items())
        if page == "conversation":
            # The services to turn to once the process has ended (docs/frontend.md).
            context["hub"] = hub()
        return render(request, PAGES[page][0], context)

    view.__name__ = f"page_{page}"
    return view


def _statistics_reader(request: HttpRequest) -> User | HttpResponse:
    """The signed-in commissioner, hub manager or admin; anyone else is sent to sign in
    (not signed in) or told the page does not exist, as the API answers them."""
    try:
        return access_statistics(request.user)
    except NotSignedIn:
        return HttpResponseRedirect("/signin")
    except (AccessDenied, RelayError):
        raise Http404() from None


def _period(request: HttpRequest) -> tuple[Period, str]:
    today = timezone.localdate()
    try:
        return Period.parse(request.GET.get("from"), request.GET.get("to"), today=today), ""
    except InvalidRequest as error:
        return Period.parse(None, None, today=today), error.message


@require_GET
@never_cache
def statistics_page(request: HttpRequest) -> HttpResponse:
    """The figures for a period, drawn and tabled on the server: no script needed."""
    reader = _statistics_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    period, problem = _period(request)
    stats = compute(period)
    context = shell_context("statistics")
    context.update(
        {
            "period": period,
            "problem": problem,
            "figures": [(figure, chart_for(figure)) for figure in stats.figures],
            "medians": stats.medians,
            "waiting": stats.waiting,
            "follow_ups": _follow_ups_to_read(reader),
            "is_manager": reader.role == Role.HUB_MANAGER,
            "csv_query": f"from={period.first:%Y-%m}&to={period.last:%Y-%m}",
        }
    )
    return render(request, "pages/statistics.html", context)


def _follow_ups_to_read(reader: User) -> list[dict[str, Any]] | None:
    """The open follow-ups as the statistics page shows them: the item's kind in words, the
    day as a date for the template's (localised) date filter."""
    if reader.role not in MANAGER_ROLES:
        return None
    return [
        {
            **item,
            "kind": AgreementItemKind(item["kind"]).label,
            "follow_up_on": date.fromisoformat(item["follow_up_on"]),
        }
        for item in follow_ups_for(reader)
    ]


@require_GET
@never_cache
def statistics_csv_download(request: HttpRequest) -> HttpResponse:
    """The same figures as CSV, protected the same way, as a download."""
    reader = _statistics_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    period, _ = _period(request)
    response = HttpResponse(statistics_csv(compute(period)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="relay-statistics-{period.slug()}.csv"'
    return response


# --- the hub's intake (docs/intake.md) ------------------------------------------------------


def choices_in_language(choices: type[Choices]) -> list[tuple[str, str]]:
    """A list's values and their labels as text in the hub's language (the labels are
    translated when they become text)."""
    return [(value, str(label)) for value, label in choices.choices]


def intake_page(page: str):
    """A page that shows the hub's own record (name, contact, signposting) drawn on the
    server, and, for the intake, the lists a hub manager chooses from."""

    @require_GET
    @never_cache
    def view(request: HttpRequest) -> HttpResponse:
        context = shell_context(page)
        context["hub"] = hub()
        if page == "intake":
            context["choices_json"] = json.dumps(
                {
                    "offence_categories": choices_in_language(OffenceCategory),
                    "complexities": choices_in_language(Complexity),
                    "decline_reasons": choices_in_language(DeclineReason),
                    "sources": choices_in_language(ReferralSource),
                    "consent_methods": choices_in_language(ConsentMethod),
                    "consent_given_by": choices_in_language(ConsentGivenBy),
                    "signposting": [service.wire() for service in hub().signposting],
                }
            )
        if page == "referrals":
            context["sources"] = [c for c in ReferralSource.choices if c[0] != ReferralSource.SELF]
            context["consent_methods"] = ConsentMethod.choices
            context["consent_given_by"] = ConsentGivenBy.choices
        return render(request, PAGES[page][0], context)

    view.__name__ = f"page_{page}"
    return view


def public_page(page: str):
    """A public page with the hub's own name, words and contact details. HEAD answers
    too, so that monitors and link checkers can ask whether the page is there."""

    @require_safe
    @never_cache
    def view(request: HttpRequest) -> HttpResponse:
        context = shell_context(page)
        context["hub"] = hub()
        return render(request, PAGES[page][0], context)

    view.__name__ = f"page_{page}"
    return view


def redirect_to(target: str):
    """``/about/`` and the like redirect to the page's one address, ``/about``."""

    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponsePermanentRedirect(target)

    view.__name__ = f"redirect_to_{target.strip('/') or 'home'}"
    return view


@require_GET
def neutral_page(request: HttpRequest) -> HttpResponse:
    """A page with nothing of Relay on it, for quick-exit tests that must stay offline."""
    if not getattr(settings, "RELAY_SERVE_NEUTRAL_PAGE", False):
        raise Http404()
    return render(request, "pages/neutral.html")


# --- meetings (docs/scheduling.md) ---------------------------------------------------------


def video_origin() -> str | None:
    """The one origin the meeting page may frame: the Jitsi server's, when Jitsi is on."""
    if settings.RELAY_VIDEO_PROVIDER == "jitsi" and settings.RELAY_JITSI_DOMAIN:
        return f"https://{settings.RELAY_JITSI_DOMAIN}"
    return None


@require_GET
@never_cache
def meeting_page(request: HttpRequest, meeting_id: object) -> HttpResponse:
    """The meeting page: the Join button and, once joined, the provider's own web client
    framed from the configured domain. Its content security policy names that domain and
    nothing else, and camera and microphone are allowed to it alone besides Relay."""
    context = shell_context("meeting")
    context["meeting_id"] = str(meeting_id)
    origin = video_origin()
    context["video_origin"] = origin or ""
    response = render(request, PAGES["meeting"][0], context)
    policy = dict(settings.SECURE_CSP)
    policy["frame-src"] = [origin] if origin else ["'none'"]
    response._csp_config = policy  # type: ignore[attr-defined]
    if origin:
        response.headers["Permissions-Policy"] = (
            PERMISSIONS_POLICY.replace("camera=(self)", f'camera=(self "{origin}")')
            .replace("microphone=(self)", f'microphone=(self "{origin}")')
            .replace("display-capture=()", f'display-capture=("{origin}")')
        )
    return response


@require_GET
@never_cache
def meeting_calendar_download(request: HttpRequest, meeting_id: object) -> HttpResponse:
    """The meeting's calendar file (``?link=1`` adds the meeting page's address)."""
    try:
        reply = operations.run(
            "meeting_calendar",
            Caller(request.user),
            {"meeting_id": str(meeting_id), "include_link": request.GET.get("link") == "1"},
        )
    except (NotSignedIn, AccessDenied):
        raise Http404() from None
    except InvalidRequest as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(reply["ics"], content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


urlpatterns = [
    path("meetings", page_view("meetings")),
    path("meetings/<uuid:meeting_id>", meeting_page),
    path("meetings/<uuid:meeting_id>/calendar.ics", meeting_calendar_download),
    path("", public_page("home")),
    *[path(page, public_page(page)) for page in PUBLIC_PAGES],
    path("signin", page_view("signin")),
    path("enrol", page_view("enrol")),
    path("password", page_view("password")),
    path("conversation", page_view("conversation")),
    path("cases", page_view("cases")),
    path("cases/<uuid:case_id>", page_view("case")),
    path("cases/<uuid:case_id>/survey", page_view("survey")),
    path("cases/<uuid:case_id>/consent", page_view("consent")),
    path("cases/<uuid:case_id>/supporters", page_view("supporters")),
    path("supporting", page_view("supporting")),
    path("statistics", statistics_page),
    path("statistics.csv", statistics_csv_download),
    path("survey-comments", page_view("comments")),
    path("refer", intake_page("refer")),
    path("refer/status", intake_page("referral_status")),
    path("intake", intake_page("intake")),
    path("referrals", intake_page("referrals")),
    path("weather", neutral_page),
]

# The trailing-slash form of every page with a fixed address redirects to it. Named one by
# one (not a pattern) so that Django's own slash-appending never sees a page that is not there.
urlpatterns += [
    path(f"{pattern.pattern}/", redirect_to(f"/{pattern.pattern}"))
    for pattern in list(urlpatterns)
    if str(pattern.pattern) and "<" not in str(pattern.pattern)
]
