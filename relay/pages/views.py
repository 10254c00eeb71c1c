"""Server-rendered page shells for the browser client (frontend/).

Each page is plain HTML with one external script and one style sheet: everything the page
shows about messages is decrypted in the browser, never rendered here. Pages are never
cached, so Back after a quick exit or sign-out cannot show an old page from the cache.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Page name -> (template, title). The title is what a screen reader announces first.
PAGES = {
    "home": ("pages/home.html", "Welcome"),
    "signin": ("pages/signin.html", "Sign in"),
    "enrol": ("pages/enrol.html", "Set up your account"),
    "conversation": ("pages/conversation.html", "Your conversation"),
    "cases": ("pages/cases.html", "Your cases"),
    "case": ("pages/case.html", "Case"),
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
    path("weather", neutral_page),
]
