"""The intake's page shells obey the same rules as every page (tests/pages/test_views.py):
one external script, no inline code, strict CSP, never cached, quick exit; and the public
referral page draws the hub's record on the server."""

from __future__ import annotations

import pytest
from django.test import Client

from relay.hub.actions import update_hub_settings
from tests.pages.test_views import assert_page_shell
from tests.referrals.helpers import with_intake_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/refer", "/refer/status", "/intake", "/referrals"])
def test_intake_page_shells(client: Client, path: str) -> None:
    assert_page_shell(client, path)


def test_the_referral_page_shows_the_hub_and_opens_only_with_an_intake_key(client: Client) -> None:
    update_hub_settings(actor=None, changes={"name": "Fenland hub", "phone": "01632 960999"})
    html = client.get("/refer").content.decode()
    assert "Fenland hub" in html and "01632 960999" in html
    assert 'id="refer-form" class="stack" novalidate hidden' in html
    with_intake_key()
    html = client.get("/refer").content.decode()
    assert 'id="refer-form" class="stack" novalidate >' in html
    # No field of the form has a name: nothing typed can be sent as a plain form.
    form = html[html.index('id="refer-form"') : html.index("</form>")]
    assert " name=" not in form
