"""A `next` that would leave the site after the browser's own normalisation leads home instead."""
from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD

NASTY = [
    "//evil.example", "/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
    "%09//evil.example", "/%5Cevil.example", "%5C%5Cevil.example", "%5C/evil.example",
    "/%09%5Cevil.example", "%20//evil.example", "https://evil.example", "http:evil.example",
    "javascript:alert(1)", "evil.example",
]


@pytest.mark.parametrize("raw_next", NASTY)
def test_login_does_not_follow_next_off_the_site(client, make, raw_next):
    user = make.user(make.community())
    response = client.post(f"/auth/login?next={raw_next}", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("raw_next", NASTY[:6])
def test_the_next_of_a_form_field_is_judged_the_same(client, make, raw_next):
    user = make.user(make.community())
    from urllib.parse import unquote

    response = client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD,
                                                "next": unquote(raw_next)})
    assert response.headers["Location"] == "/"


def test_a_path_of_the_site_is_followed(client, make):
    user = make.user(make.community())
    target = "/notice/?community=1"
    response = client.post(f"/auth/login?next={quote(target)}", data={"phone": user.phone, "password": PASSWORD})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("raw_next", ["/%09/evil.example", "/%5Cevil.example"])
def test_the_large_type_switch_does_not_follow_next_off_the_site(client, raw_next):
    response = client.post(f"/auth/large-type?next={raw_next}", data={"on": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
