"""Password guessing: nginx limits POSTs to the admin login per client address.

Last in file order: it uses up the client's allowance (10 a minute, 5 at once).
"""

from conftest import ROOT_CA, SITE

from tests.lib.molecule_helpers import assert_login_rate_limited


def test_login_posts_are_rate_limited_per_client(client):
    assert_login_rate_limited(client, SITE, ROOT_CA)
