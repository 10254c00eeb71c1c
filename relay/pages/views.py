"""Server-rendered page shells for the browser client (frontend/).

Each page is plain HTML with one external script and one style sheet: everything the page
shows about messages is decrypted in the browser, never rendered here. Pages are never
cached, so Back after a quick exit or sign-out cannot show an old page from the cache.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from relay.accounts.models import MANAGER_ROLES, Role, User
from relay.cases.selectors import follow_ups_for
from relay.errors import AccessDenied, InvalidRequest, NotSignedIn, RelayError
from relay.statistics.access import access_statistics
from relay.statistics.charts import chart_for
from relay.statistics.export import statistics_csv
from relay.statistics.figures import Period, compute

# Page name -> (template, title). The title is what a screen reader announces first.
PAGES = {
    "home": ("pages/home.html", "Welcome"),
    "signin": ("pages/signin.html", "Sign in"),
    "enrol": ("pages/enrol.html", "Set up your account"),
    "conversation": ("pages/conversation.html", "Your conversation"),
    "cases": ("pages/cases.html", "Your cases"),
    "case": ("pages/case.html", "Case"),
    "survey": ("pages/survey.html", "How did it go?"),
    "statistics": ("pages/statistics.html", "Statistics"),
    "comments": ("pages/comments.html", "Survey comments"),
}


def shell_context(page: str) -> dict[str, object]:
    """What every page shell needs: the page name, the quick-exit address and, in test
    settings only, a lowered Argon2id floor matching the cheap server parameters."""
    template, title = PAGES[page]
    context: dict[str, object] = {
        "page": page,
        "title": title,
        "quick_exit_url": settings.RELAY_QUICK_EXIT_URL,
        "kdf_floor": None,
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
    context.update({
        "period": period,
        "problem": problem,
        "figures": [(figure, chart_for(figure)) for figure in stats.figures],
        "medians": stats.medians,
        "waiting": stats.waiting,
        "follow_ups": follow_ups_for(reader) if reader.role in MANAGER_ROLES else None,
        "is_manager": reader.role == Role.HUB_MANAGER,
        "csv_query": f"from={period.first:%Y-%m}&to={period.last:%Y-%m}",
    })
    return render(request, "pages/statistics.html", context)


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


@require_GET
def neutral_page(request: HttpRequest) -> HttpResponse:
    """A page with nothing of Relay on it, for quick-exit tests that must stay offline."""
    if not getattr(settings, "RELAY_SERVE_NEUTRAL_PAGE", False):
        raise Http404()
    return render(request, "pages/neutral.html")


urlpatterns = [
    path("", page_view("home")),
    path("signin", page_view("signin")),
    path("enrol", page_view("enrol")),
    path("conversation", page_view("conversation")),
    path("cases", page_view("cases")),
    path("cases/<uuid:case_id>", page_view("case")),
    path("cases/<uuid:case_id>/survey", page_view("survey")),
    path("statistics", statistics_page),
    path("statistics.csv", statistics_csv_download),
    path("survey-comments", page_view("comments")),
    path("weather", neutral_page),
]
