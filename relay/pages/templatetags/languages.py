"""The language a page is drawn in, as the browser expects it."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


@register.simple_tag
def html_lang() -> str:
    """The active language as a BCP 47 tag for ``<html lang>`` (``en-GB``, ``cy``): the
    browser client chooses its own catalogue by it (frontend/src/i18n/messages.js), so the
    page's words and the script's words are always in the same language."""
    return to_locale(get_language() or "en-gb").replace("_", "-")
