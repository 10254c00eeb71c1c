"""A second language is a catalogue away, for real: gettext's own tools make a catalogue of
every message Relay's pages use (``makemessages``), each message is "translated" into a pseudo
language that wraps it in ⟦ ⟧, the catalogue is compiled (``compilemessages``, msgfmt), and
with that language as the hub's language every word of every page is the catalogue's, except
the hub's own details and Relay's name.

In CI (``CI=true``) missing gettext tools fail the run; elsewhere the tests are skipped and
say what to install."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation
from django.utils.dates import MONTHS

from relay import operations
from relay.accounts.models import Role
from relay.accounts.throttle import Throttled
from relay.cases import actions as case_actions
from relay.errors import InvalidRequest
from relay.hub.models import HubSettings
from relay.hub.selectors import hub
from relay.pages.notifications import TIME_ZONES
from relay.statistics.figures import Period
from relay.surface import Caller
from tests.factories import make_case, make_person, verified_session
from tests.pages.test_translation import NOT_WORDS, TEXT_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib", "msgfmt")

PSEUDO_LOCALE = "en_XA"  # the conventional pseudo-locale: English, accented and bracketed
PSEUDO_LANGUAGE = "en-xa"
OPEN, CLOSE = "⟦", "⟧"

PAGES = [
    "/", "/about", "/help", "/contact", "/privacy", "/accessibility", "/cookies",
    "/refer", "/refer/status", "/signin", "/enrol", "/password", "/conversation",
    "/no-such-page",
]

LETTER = re.compile(r"[^\W\d_]")


def require_gettext() -> None:
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = (
        f"gettext's {', '.join(missing)} not found: install gettext "
        "(apt-get install gettext) to build translation catalogues"
    )
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def pseudo_translated(po: str) -> str:
    """The catalogue with every message translated as itself wrapped in ⟦ ⟧.

    A PO string may be written as several quoted pieces one after another, so the msgstr is
    the msgid's own pieces (still escaped as gettext wrote them) between two more pieces. The
    header loses its fuzzy mark and gains its plural rule, as a translator's would."""
    entries = po.strip().split("\n\n")
    out = []
    for entry in entries:
        lines = entry.splitlines()
        kept: list[str] = []
        pieces: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line == "#, fuzzy":
                continue
            if line.startswith("#, fuzzy, "):
                line = "#, " + line[len("#, fuzzy, "):]
            keyword = line.split(" ", 1)[0]
            if keyword in ("msgid", "msgid_plural", "msgctxt"):
                current = keyword
                pieces[current] = [line.split(" ", 1)[1]]
            elif keyword.startswith("msgstr"):
                current = "msgstr"
                continue
            elif line.startswith('"') and current is not None:
                if current == "msgstr":
                    continue
                pieces[current].append(line)
            kept.append(line)
        if pieces.get("msgid") == ['""']:
            out.append(entry.replace("#, fuzzy\n", "").replace(
                '"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"',
                '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
            ))
            continue
        wrap = [f'"{OPEN}"', *pieces["msgid"], f'"{CLOSE}"']
        if "msgid_plural" in pieces:
            kept.append("msgstr[0] " + "\n".join(wrap))
            kept.append(
                "msgstr[1] " + "\n".join([f'"{OPEN}"', *pieces["msgid_plural"], f'"{CLOSE}"'])
            )
        else:
            kept.append("msgstr " + "\n".join(wrap))
        out.append("\n".join(kept))
    return "\n\n".join(out) + "\n"


@pytest.fixture(scope="module")
def pseudo_locale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A locale directory holding the compiled pseudo-language catalogue of every message."""
    require_gettext()
    locale = tmp_path_factory.mktemp("locale")
    here = Path.cwd()
    with override_settings(LOCALE_PATHS=[locale]):
        try:
            # Relay's messages and nothing else's: every folder but relay/ is left out, and
            # relay/locale too, or makemessages would write the catalogue there.
            os.chdir(ROOT)
            others = [f"{path.name}/*" for path in ROOT.iterdir()
                      if path.is_dir() and path.name != "relay"] + ["relay/locale"]
            call_command(
                "makemessages", locale=[PSEUDO_LOCALE], ignore_patterns=others, verbosity=0
            )
            po = locale / PSEUDO_LOCALE / "LC_MESSAGES" / "django.po"
            po.write_text(pseudo_translated(po.read_text(encoding="utf-8")), encoding="utf-8")
            # compilemessages also compiles every locale folder under the working directory.
            os.chdir(locale)
            call_command("compilemessages", locale=[PSEUDO_LOCALE], verbosity=0)
        finally:
            os.chdir(here)
    assert (locale / PSEUDO_LOCALE / "LC_MESSAGES" / "django.mo").is_file()
    return locale


@pytest.fixture
def the_hub(db: None) -> HubSettings:
    return HubSettings.objects.create(
        name="Northshire Restorative Justice",
        phone="0300 123 4567",
        email="rj@northshire.example",
        postal_address="1 High Street\nNorthshire",
        opening_hours="Monday to Friday, 9am to 5pm",
        about="We are part of the Northshire victims' service.",
        signposting=[
            {"key": "local-ida", "name": "Northshire IDVA service", "helps_with": "Advocacy.",
             "phone": "0800 000 0000", "website": "https://idva.example"}
        ],
    )


def hub_values() -> list[str]:
    """What the hub wrote itself: shown as it is, in whatever language the hub wrote it."""
    record = hub()
    values = [record.name, record.phone, record.email, record.opening_hours, record.about,
              *record.postal_address.splitlines()]
    for service in record.signposting:
        values += [service.name, service.helps_with, service.phone, service.website]
    return sorted((value for value in values if value), key=len, reverse=True)


class Words(HTMLParser):
    """The text a person reads or hears: text nodes outside scripts and styles, and text
    attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.in_code += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and (name in TEXT_ATTRIBUTES or (
                name == "content" and values.get("name") == "description"
            )):
                self.attributes.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.in_code:
            self.in_code -= 1

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self.text.append(data)


def untranslated(text: str, exempt: list[str]) -> list[str]:
    """Runs of words outside ⟦ ⟧, once the hub's own details and the words that are the same
    in every language (Relay's name, the cookies' names) are taken out.
    A message with markup in it (a link in a sentence) spans several text nodes, so the
    brackets are followed across the whole page."""
    for value in exempt:
        text = text.replace(value, " ")
    for word in NOT_WORDS:
        text = re.sub(rf"\b{word}\b", " ", text)
    found, depth, run = [], 0, ""
    for char in text:
        if char == OPEN:
            depth += 1
        elif char == CLOSE:
            depth -= 1
        elif depth == 0:
            run += char
            continue
        if LETTER.search(run):
            found.append(" ".join(run.split()))
        run = ""
    if LETTER.search(run):
        found.append(" ".join(run.split()))
    return found


def test_the_pseudo_catalogue_translates_a_message_with_values(pseudo_locale: Path) -> None:
    with override_settings(LOCALE_PATHS=[pseudo_locale]), translation.override(PSEUDO_LANGUAGE):
        assert translation.gettext("Contact %(name)s") == "⟦Contact %(name)s⟧"
        assert str(translation.gettext_lazy("Privacy notice")) == "⟦Privacy notice⟧"


def in_pseudo_language(pseudo_locale: Path) -> override_settings:
    """The hub's language is the pseudo-language, with its compiled catalogue."""
    return override_settings(
        LOCALE_PATHS=[pseudo_locale],
        LANGUAGE_CODE=PSEUDO_LANGUAGE,
        LANGUAGES=[(PSEUDO_LANGUAGE, "Pseudo-English")],
    )


def assert_every_word_translated(path: str, html: str, exempt: list[str] | None = None) -> None:
    """Every word the page shows is inside ⟦ ⟧, but the hub's own details and ``exempt``."""
    assert '<html lang="en-XA">' in html
    page = Words()
    page.feed(html)
    page.close()
    values = sorted([*hub_values(), *(exempt or [])], key=len, reverse=True)
    missed = untranslated("\n".join(page.text), values)
    missed += [value for value in page.attributes if untranslated(value, values)]
    assert not missed, f"{path} shows words no catalogue translated:\n  " + "\n  ".join(missed)


@pytest.mark.parametrize("path", PAGES)
def test_with_the_hub_in_another_language_every_word_of_the_page_is_translated(
    pseudo_locale: Path, the_hub: HubSettings, client: Client, path: str
) -> None:
    with in_pseudo_language(pseudo_locale):
        response = client.get(path)
        assert response.status_code == (404 if path == "/no-such-page" else 200)
        html = response.content.decode()
    assert_every_word_translated(path, html)


# Month names come from Django's own catalogue, which has every real language but not the
# pseudo-language: they stay English here, and are checked in a real language below.
MONTH_NAMES = [str(name) for name in MONTHS.values()]


def test_the_statistics_page_is_translated_for_a_commissioner(
    pseudo_locale: Path, the_hub: HubSettings, client: Client
) -> None:
    """Every figure's title, what it counts, its rows and columns (case stages, referral
    sources, ways of taking part, outcomes, reasons, the survey's questions and answers),
    the medians' words and a refused period's message come from the catalogue."""
    make_case(active=False)
    commissioner = make_person(Role.COMMISSIONER)
    verified_session(client, commissioner)
    with in_pseudo_language(pseudo_locale):
        response = client.get("/statistics", {"from": "2026-13", "to": "2026-01"})
        html = response.content.decode()
    assert response.status_code == 200
    assert 'id="period-problem"' in html
    assert "⟦Give months as year and month, for example 2025-04.⟧" in html
    assert "⟦Referrals by source and month⟧" in html
    assert "⟦Self-referral⟧" in html and "⟦Being assessed⟧" in html
    assert "⟦Messages and letters⟧" in html  # kept as plain English in the model
    assert "⟦Did you feel safe taking part?⟧" in html
    assert_every_word_translated("/statistics", html, MONTH_NAMES)


def test_the_statistics_csv_keeps_its_header_and_writes_its_words_in_the_language(
    pseudo_locale: Path, the_hub: HubSettings, client: Client
) -> None:
    commissioner = make_person(Role.COMMISSIONER)
    verified_session(client, commissioner)
    with in_pseudo_language(pseudo_locale):
        body = client.get("/statistics.csv").content.decode()
    header, first = body.splitlines()[:2]
    assert header == "period,figure,counts,row,column,value"
    assert "⟦Cases opened, by month⟧" in first
    assert "⟦%(first)s to %(last)s⟧" not in body and "⟦" in first.split(",")[0]


def test_the_period_names_its_months_in_the_language_django_translates() -> None:
    period = Period(datetime.date(2025, 12, 1), datetime.date(2026, 3, 1))
    with translation.override("en-gb"):
        assert period.label() == "December 2025 to March 2026"
    with translation.override("de"):
        # Relay has no German catalogue, so "to" stays; the months are Django's.
        assert period.label() == "Dezember 2025 to März 2026"


def test_the_case_page_is_translated_for_its_facilitator(
    pseudo_locale: Path, the_hub: HubSettings, client: Client
) -> None:
    """The assessment form's suitability criteria are the catalogue's too."""
    shuttle = make_case(active=False)
    verified_session(client, shuttle.facilitator)
    path = f"/cases/{shuttle.id}"
    with in_pseudo_language(pseudo_locale):
        response = client.get(path)
        html = response.content.decode()
    assert response.status_code == 200
    assert "⟦the offence has been reported to the police⟧" in html
    assert_every_word_translated(path, html)


@pytest.mark.parametrize("role", [Role.REFERRER, Role.HUB_MANAGER])
def test_the_referrals_page_is_translated(
    pseudo_locale: Path, the_hub: HubSettings, client: Client, role: str
) -> None:
    """Who referred, how consent was given and who gave it: the referral lists' labels."""
    verified_session(client, make_person(role))
    with in_pseudo_language(pseudo_locale):
        response = client.get("/referrals")
        html = response.content.decode()
    assert response.status_code == 200
    assert "⟦Probation⟧" in html and "⟦On a video call⟧" in html
    assert "⟦Their parent or guardian⟧" in html
    assert_every_word_translated("/referrals", html)


def test_a_refused_notification_choice_is_told_in_the_language(
    pseudo_locale: Path, the_hub: HubSettings, client: Client
) -> None:
    verified_session(client, make_person(Role.PARTICIPANT, with_key=False))
    with in_pseudo_language(pseudo_locale):
        response = client.post(
            "/settings/notifications", {"channels": ["email"], "email": "not an address"}
        )
        html = response.content.decode()
    assert response.status_code == 200
    assert "⟦That email address does not look right.⟧" in html
    # The time zones offered are IANA names, the same in every language.
    assert_every_word_translated("/settings/notifications", html, [*TIME_ZONES, "not an address"])


def test_the_committed_catalogue_template_lists_every_message(pseudo_locale: Path) -> None:
    """relay/locale/django.pot is where a translator starts: it must hold every message
    (``make messages`` regenerates it)."""
    committed = ROOT / "relay" / "locale" / "django.pot"
    fresh = pseudo_locale / PSEUDO_LOCALE / "LC_MESSAGES" / "django.po"
    msgid = re.compile(r'^msgid ((?:".*"\n)+)', re.MULTILINE)

    def messages(path: Path) -> set[str]:
        return set(msgid.findall(path.read_text(encoding="utf-8"))) - {'""\n'}

    missing = messages(fresh) - messages(committed)
    assert not missing, (
        "relay/locale/django.pot is missing messages: run `make messages` and commit it.\n  "
        + "\n  ".join(sorted(missing))
    )


def api_error(response: Any) -> dict[str, str]:
    body = json.loads(response.content)
    return {"code": body["error"]["code"], "message": body["error"]["message"]}


def test_the_api_tells_its_errors_in_the_hubs_language_and_keeps_its_codes(
    pseudo_locale: Path, the_hub: HubSettings, client: Client
) -> None:
    """The JSON API's error messages come from the catalogue, so the browser pages that
    show them as they come show them in the hub's language; the codes clients branch on
    stay the same in every language."""
    shuttle = make_case(active=False)
    with in_pseudo_language(pseudo_locale):
        signed_out = client.post(f"/api/cases/{shuttle.id}/prepare")
        verified_session(client, shuttle.facilitator)
        malformed = client.post(
            "/api/messages", "{not json", content_type="application/json"
        )
        missing = client.post(f"/api/cases/{uuid.uuid4()}/prepare")
        case_actions.begin_assessment(actor=shuttle.facilitator.user, case_id=shuttle.id)
        refused = client.post(f"/api/cases/{shuttle.id}/prepare")
    assert (signed_out.status_code, api_error(signed_out)) == (
        401, {"code": "not_signed_in", "message": "⟦Please sign in.⟧"}
    )
    assert (malformed.status_code, api_error(malformed)) == (
        400, {"code": "invalid", "message": "⟦The request body is not valid JSON.⟧"}
    )
    assert (missing.status_code, api_error(missing)) == (
        404, {"code": "not_found", "message": "⟦Not found, or you do not have access to it.⟧"}
    )
    error = api_error(refused)
    assert (refused.status_code, error["code"]) == (409, "assessment_incomplete")
    # The refusal is a whole sentence of the catalogue around the criteria, also the
    # catalogue's.
    assert error["message"].startswith("⟦The case cannot move to preparation yet: ")
    assert error["message"].endswith(".⟧")
    assert not untranslated(error["message"], [])


def test_a_refusal_with_values_is_one_translated_sentence(pseudo_locale: Path) -> None:
    """Values go into a whole translated sentence, never next to it."""
    with in_pseudo_language(pseudo_locale), translation.override(PSEUDO_LANGUAGE):
        with pytest.raises(Throttled) as throttled:
            raise Throttled(120)
        with pytest.raises(InvalidRequest) as unknown:
            operations.run("no_such_operation", Caller(user=None), {})
    assert throttled.value.message == "⟦Too many attempts. Wait 2 minutes and try again.⟧"
    assert unknown.value.message == "⟦Unknown operation 'no_such_operation'.⟧"
    # Whatever the language, a message is a plain string, ready for json.dumps.
    assert json.loads(json.dumps({"message": unknown.value.message}))
