"""Every word a template shows goes through Django's translation machinery, so that another
language is a catalogue away (docs/frontend.md, "Adding a language").

Each template is split with Django's own template lexer. Text inside ``{% blocktranslate %}``
(and comments, and ``{% verbatim %}``) is set aside, as are variables and tags; what is left is
read as HTML. A text node with a letter in it, or a text attribute (``aria-label``, ``title``,
``alt``, ``placeholder``, a button's ``value``, a description's ``content``) with a letter in
it, is a word nobody can translate, and the test names the file and the words."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2]

# Words that are the same in every language: the product's name and the names of cookies.
NOT_WORDS = frozenset({"Relay", "sessionid", "csrftoken"})

# Attributes a person reads or hears; everything else (ids, classes, addresses) is for code.
TEXT_ATTRIBUTES = frozenset({"aria-label", "aria-placeholder", "aria-roledescription", "alt",
                             "label", "placeholder", "title"})

# Where a template token stood, in what is read as HTML. It is not a letter, so a variable or
# a translated string never counts as a word.
HOLE = "\x00"

LETTER = re.compile(r"[^\W\d_]")
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")


def templates() -> list[Path]:
    """Every template of the project: relay/templates and each app's templates folder."""
    found = sorted((ROOT / "relay" / "templates").rglob("*.html"))
    found += sorted(ROOT.glob("relay/*/templates/**/*.html"))
    return found


def untranslated_html(source: str) -> str:
    """The template as HTML, with every token that is not plain, untranslated template text
    replaced by a hole: what is left is exactly the text no catalogue can reach."""
    parts: list[str] = []
    skipping_until: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if skipping_until is not None:
                if name == skipping_until:
                    skipping_until = None
            elif name in ("blocktranslate", "blocktrans"):
                skipping_until = "end" + name
            elif name in ("comment", "verbatim"):
                skipping_until = "end" + name
            parts.append(HOLE)
        elif token.token_type == TokenType.TEXT and skipping_until is None:
            parts.append(token.contents)
        else:
            parts.append(HOLE)
    return "".join(parts)


def is_words(text: str) -> bool:
    text = ENTITY.sub(" ", text.replace(HOLE, " "))
    for word in NOT_WORDS:
        text = re.sub(rf"\b{word}\b", " ", text)
    return bool(LETTER.search(text))


class UntranslatedText(HTMLParser):
    """Collects the words in text nodes and text attributes of an HTML document. Script and
    style elements are code, not text, and are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.in_code += 1
        values = dict(attrs)
        for name, value in attrs:
            spoken = name in TEXT_ATTRIBUTES or (
                name == "content" and (values.get("name") or "").lower() == "description"
            ) or (
                name == "value"
                and tag == "input"
                and (values.get("type") or "").lower() in ("submit", "button", "reset")
            )
            if spoken and value and is_words(value):
                self.found.append(f'{name}="{value.replace(HOLE, "…")}"')

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.in_code -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.in_code:
            self.in_code -= 1

    def handle_data(self, data: str) -> None:
        if not self.in_code and is_words(data):
            self.found.append(" ".join(data.replace(HOLE, "…").split()))


def untranslated_words(source: str) -> list[str]:
    parser = UntranslatedText()
    parser.feed(untranslated_html(source))
    parser.close()
    return parser.found


def test_the_templates_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in templates()}
    assert {"relay/templates/base.html", "relay/templates/errors/404.html",
            "relay/templates/pages/home.html"} <= names


@pytest.mark.parametrize(
    "path", templates(), ids=lambda path: path.relative_to(ROOT / "relay").as_posix()
)
def test_every_word_in_the_template_is_translated(path: Path) -> None:
    found = untranslated_words(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{path.relative_to(ROOT)} shows words outside {{% translate %}} or "
        f"{{% blocktranslate %}}:\n  " + "\n  ".join(found)
    )


# The check itself: it finds what it should, and leaves code, addresses and values alone.


@pytest.mark.parametrize(
    "source, words",
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<p>{% translate "Hello" %} there</p>', ["… there"]),
        ("<p>{{ name }} is here</p>", ["… is here"]),
        ('<button aria-label="Close">×</button>', ['aria-label="Close"']),
        ('<img alt="A map" src="/map.png">', ['alt="A map"']),
        ('<input placeholder="Your name">', ['placeholder="Your name"']),
        ('<input type="submit" value="Send">', ['value="Send"']),
        ('<meta name="description" content="A safe way to talk">',
         ['content="A safe way to talk"']),
        ('<abbr title="{{ x }} days">', ['title="… days"']),
        ("<title>Welcome – Relay</title>", ["Welcome – Relay"]),
    ],
)
def test_the_check_finds_untranslated_words(source: str, words: list[str]) -> None:
    assert untranslated_words(source) == words


@pytest.mark.parametrize(
    "source",
    [
        '<p>{% translate "Hello" %}</p>',
        "<p>{% blocktranslate with name=hub.name %}Hello {{ name }}{% endblocktranslate %}</p>",
        "<p>{% blocktranslate %}See <a href=\"/help\">help</a>.{% endblocktranslate %}</p>",
        '<a href="/about/us" class="button secondary" id="about-link">{{ hub.name }}</a>',
        "<script>const words = 'not text';</script><style>p { color: red; }</style>",
        "<!-- a note for developers -->{# and another #}",
        "{% comment %}Not shown to anyone{% endcomment %}",
        '<input type="text" value="{{ choices.email }}" autocomplete="email" required>',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<p>{{ hub.phone }} · &nbsp;&amp; 999 – 1,234.</p>",
        "<title>{{ title }} – Relay</title>",
        "<td>sessionid</td><td>csrftoken</td>",
        '<p aria-label="{% translate "Your cases" %}" title="{{ hint }}"></p>',
    ],
)
def test_the_check_leaves_code_values_and_translated_words_alone(source: str) -> None:
    assert untranslated_words(source) == []
