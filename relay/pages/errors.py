"""Styled error pages (docs/frontend.md, "Error pages"): not found, not allowed, a server
error and a refused form (CSRF), each with the quick exit and a way back. They read nothing
from the database, so that the server-error page still appears when the database is what
failed. Under ``/api/`` Django's own plain answers stay, for clients that are not people."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import csrf, defaults


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error_page(request: HttpRequest, template: str, title: str, status: int) -> HttpResponse:
    context = {
        "page": "error",
        "title": title,
        "quick_exit_url": settings.RELAY_QUICK_EXIT_URL,
        "kdf_floor": None,
    }
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return defaults.page_not_found(request, exception)
    return _error_page(request, "errors/404.html", _("Page not found"), 404)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return defaults.permission_denied(request, exception)
    return _error_page(request, "errors/403.html", _("You cannot see this page"), 403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return defaults.server_error(request)
    return _error_page(request, "errors/500.html", _("Sorry, something went wrong"), 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return csrf.csrf_failure(request, reason)
    return _error_page(request, "errors/csrf.html", _("Your form could not be sent"), 403)
