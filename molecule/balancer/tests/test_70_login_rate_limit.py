"""Password guessing: the balancer limits POSTs to the admin login per client address.

Last in file order: it uses up the client's allowance (10 a minute, 5 at once).
"""

from conftest import ROOT_CA, SITE, curl


def test_login_posts_are_rate_limited_per_client(client):
    # No CSRF token: Django answers 403 to the POSTs nginx lets through.
    loop = (
        f"for i in $(seq 15); do curl -sS --cacert {ROOT_CA} -o /dev/null -w '%{{http_code}} '"
        f" -X POST -d username=admin -d password=guess {SITE}/admin/login/; done"
    )
    codes = client.check_output(loop).split()
    assert codes[0] == "403", codes
    assert codes.count("429") >= 5, codes
    # The page itself (a GET) is not counted.
    assert curl(client, f"{SITE}/admin/login/", "-o /dev/null", "-w '%{http_code}'") == "200"
