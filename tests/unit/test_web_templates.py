"""nginx sites: the single-host site serves its names only, the plain-HTTP site trusts the balancer only,
the balancer's site retries idempotent requests only, and a drain toggles one `down` flag."""

import re
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def environment(loader) -> jinja2.Environment:
    # nginx configuration, not HTML: no autoescape; trim_blocks as in Ansible.
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True)  # noqa: S701
    env.filters.update(
        comment=lambda text: "#\n# " + text + "\n#",
        bool=lambda value: value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on"),
        regex_replace=lambda value, pattern, replacement: re.sub(pattern, replacement, value),
    )
    return env


NGINX = {
    "ansible_managed": "Managed by Ansible",
    "nginx_site_name": "polls",
    "nginx_server_names": ["polls.example.com", "www.polls.example.com"],
    "nginx_certificate": "/etc/letsencrypt/live/polls/fullchain.pem",
    "nginx_certificate_key": "/etc/letsencrypt/live/polls/privkey.pem",
    "nginx_acme_webroot": "/var/www/letsencrypt",
    "nginx_static_root": "/srv/polls/static",
    "nginx_static_url": "/static/",
    "nginx_static_expires": "30d",
    "nginx_upstream_socket": "/run/gunicorn.sock",
    "nginx_client_max_body_size": "10m",
    "nginx_hsts_max_age": 63072000,
    "nginx_hsts_include_subdomains": False,
    "nginx_hsts_preload": False,
    "nginx_login_paths": ["/admin/login/"],
    "nginx_login_rate": "10r/m",
    "nginx_login_burst": 5,
    "nginx_ssl_protocols": ["TLSv1.2", "TLSv1.3"],
    "nginx_ssl_ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "nginx_dhparam_path": "/etc/nginx/ffdhe2048.pem",
    "nginx_extra_directives": ["add_header X-Frame-Options DENY;"],
    "nginx_tls": True,
    "nginx_listen_addresses": [],
    "nginx_trusted_proxies": [],
    "nginx_health_path": "/healthz",
}


def nginx_site(**overrides) -> str:
    env = environment(jinja2.FileSystemLoader(str(ROOT / "roles" / "nginx" / "templates")))
    return env.get_template("site.conf.j2").render({**NGINX, **overrides})


def servers(text: str) -> list[str]:
    """The server blocks of a site, in order."""
    return re.findall(r"^server \{\n.*?^\}", text, re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("tls_ready", [False, True])
def test_single_host_site_answers_other_names_with_nothing(tls_ready):
    blocks = servers(nginx_site(nginx_tls_ready=tls_ready))
    default = blocks[0]
    assert "server_name _;" in default and "return 444;" in default and "proxy_pass" not in default
    listens = re.findall(r"^\s*listen (.*);$", default, re.MULTILINE)
    expected = ["80 default_server", "[::]:80 default_server"]
    assert listens == expected + (["443 ssl http2 default_server", "[::]:443 ssl http2 default_server"] if tls_ready else [])
    # The site's own servers are not the default.
    for block in blocks[1:]:
        assert "default_server" not in block and "server_name polls.example.com www.polls.example.com;" in block


def test_single_host_site_sends_the_chosen_hsts_once_per_response():
    text = nginx_site(nginx_tls_ready=True)
    assert text.count('add_header Strict-Transport-Security "max-age=63072000" always;') == 2  # server, /static/
    flags = nginx_site(nginx_tls_ready=True, nginx_hsts_include_subdomains=True, nginx_hsts_preload=True)
    assert flags.count('add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;') == 2
    assert text.count("proxy_hide_header Strict-Transport-Security;") == text.count("proxy_pass ")


def test_single_host_site_limits_login_posts():
    text = nginx_site(nginx_tls_ready=True)
    assert "limit_req_zone $django_stack_polls_login_key zone=django_stack_polls_login:10m rate=10r/m;" in text
    assert re.search(r"map \$request_method \$django_stack_polls_login_key \{\s*default \"\";\s*POST \$binary_remote_addr;", text)
    login = re.search(r"location = /admin/login/ \{(.*?)\n    \}", text, re.DOTALL).group(1)
    assert "limit_req zone=django_stack_polls_login burst=5 nodelay;" in login and "limit_req_status 429;" in login
    assert "proxy_pass http://unix:/run/gunicorn.sock;" in login
    off = nginx_site(nginx_tls_ready=True, nginx_login_rate="")
    assert "limit_req" not in off and "location = /admin/login/" not in off


def test_plain_http_site_behind_the_balancer():
    text = nginx_site(nginx_tls=False, nginx_listen_addresses=["10.110.0.5"], nginx_trusted_proxies=["10.110.0.3", "10.110.1.0/24"])
    # The default server (probes by address) and the site's names.
    assert re.findall(r"^\s*listen .*;$", text, re.MULTILINE) == ["    listen 10.110.0.5:80 default_server;", "    listen 10.110.0.5:80;"]
    default, site = servers(text)
    assert "location = /healthz" in default and "return 444;" in default and "server_name _;" in default
    assert "server_name polls.example.com www.polls.example.com;" in site and "444" not in site
    assert "ssl" not in text and "443" not in text and "return 301" not in text
    assert re.findall(r"set_real_ip_from (\S+);", text) == ["10.110.0.3", "10.110.1.0/24"]
    assert "real_ip_header X-Forwarded-For;" in text
    assert "real_ip_recursive on" not in text  # the last address, the one the balancer appended
    geo = re.search(r"geo \$realip_remote_addr \$django_stack_polls_from_balancer \{(.*?)\}", text, re.DOTALL).group(1)
    assert re.findall(r"^\s*(\S+) 1;$", geo, re.MULTILINE) == ["10.110.0.3", "10.110.1.0/24"]
    assert '"1:https" https;' in text and "default http;" in text
    # The app never sees a client's own X-Forwarded-Proto.
    assert "$http_x_forwarded_proto;" not in text
    assert text.count("proxy_set_header X-Forwarded-Proto $django_stack_polls_forwarded_proto;") == 2
    health = re.search(r"location = /healthz \{(.*?)\}", text, re.DOTALL).group(1)
    assert "proxy_set_header Host polls.example.com;" in health


def test_plain_http_site_listens_everywhere_without_addresses():
    text = nginx_site(nginx_tls=False, nginx_trusted_proxies=["10.0.0.0/8"])
    assert re.findall(r"^\s*listen (.*);$", text, re.MULTILINE) == ["80 default_server", "[::]:80 default_server", "80", "[::]:80"]


BALANCER = {
    "ansible_managed": "Managed by Ansible",
    "loadbalancer_site_name": "polls",
    "loadbalancer_server_names": ["polls.example.com"],
    "loadbalancer_certificate": "/etc/letsencrypt/live/polls/fullchain.pem",
    "loadbalancer_certificate_key": "/etc/letsencrypt/live/polls/privkey.pem",
    "loadbalancer_acme_webroot": "/var/www/letsencrypt",
    "loadbalancer_backends_dir": "/etc/nginx/loadbalancer",
    "loadbalancer_keepalive": 16,
    "loadbalancer_ssl_protocols": ["TLSv1.2", "TLSv1.3"],
    "loadbalancer_ssl_ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "loadbalancer_dhparam_path": "/etc/nginx/ffdhe2048.pem",
    "loadbalancer_hsts_max_age": 63072000,
    "loadbalancer_hsts_include_subdomains": False,
    "loadbalancer_hsts_preload": False,
    "loadbalancer_login_paths": ["/admin/login/"],
    "loadbalancer_login_rate": "10r/m",
    "loadbalancer_login_burst": 5,
    "loadbalancer_client_max_body_size": "10m",
    "loadbalancer_connect_timeout": "2s",
    "loadbalancer_read_timeout": "60s",
    "loadbalancer_next_upstream": ["error", "timeout", "http_502", "http_503", "http_504"],
    "loadbalancer_next_upstream_tries": 3,
    "loadbalancer_next_upstream_timeout": "15s",
    "loadbalancer_backend_port": 80,
    "loadbalancer_max_fails": 1,
    "loadbalancer_fail_timeout": "10s",
    "loadbalancer_drained": ["app2"],
}


def balancer(template: str, **overrides) -> str:
    env = environment(jinja2.FileSystemLoader(str(ROOT / "roles" / "loadbalancer" / "templates")))
    return env.get_template(template).render({**BALANCER, **overrides})


def test_balancer_bootstrap_answers_acme_only():
    text = balancer("site.conf.j2", loadbalancer_tls_ready=False)
    assert "upstream" not in text and "443" not in text
    assert "location /.well-known/acme-challenge/" in text and "return 503;" in text


def test_balancer_site_retries_idempotent_requests_only():
    text = balancer("site.conf.j2", loadbalancer_tls_ready=True)
    assert "include /etc/nginx/loadbalancer/polls/*.conf;" in text
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in text
    assert "non_idempotent" not in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert 'proxy_set_header Connection "";' in text and "proxy_http_version 1.1;" in text


def test_balancer_site_answers_other_names_with_nothing_and_limits_login_posts():
    text = balancer("site.conf.j2", loadbalancer_tls_ready=True, loadbalancer_hsts_include_subdomains=True)
    default = servers(text)[0]
    assert "server_name _;" in default and "return 444;" in default and "listen 443 ssl http2 default_server;" in default
    assert 'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;' in text
    login = re.search(r"location = /admin/login/ \{(.*?)\n    \}", text, re.DOTALL).group(1)
    assert "limit_req zone=polls_login burst=5 nodelay;" in login and "proxy_pass http://polls_app_hosts;" in login
    # The login location proxies exactly as `location /` does.
    rest = re.findall(r"location / \{(.*?)\n    \}", text, re.DOTALL)[-1]  # the HTTPS server's
    assert login.split("limit_req_status 429;")[1].strip() == rest.strip()


def backend_line(name: str) -> str:
    text = balancer("backend.conf.j2", item={"name": name, "address": "10.110.0.5"})
    return [line for line in text.splitlines() if line.startswith("server")][0]


def test_backend_lines_and_drained_hosts():
    assert backend_line("app1") == "server 10.110.0.5:80 max_fails=1 fail_timeout=10s;"
    assert backend_line("app2") == "server 10.110.0.5:80 max_fails=1 fail_timeout=10s down;"


def drain_rule():
    tasks = yaml.safe_load((ROOT / "roles" / "loadbalancer" / "tasks" / "backend_state.yml").read_text())
    task = next(t for t in tasks if "ansible.builtin.replace" in t)
    return task["ansible.builtin.replace"]["regexp"]


def toggle(text: str, down: bool) -> str:
    # Ansible's replace module: re.subn with MULTILINE, \1 back references.
    return re.sub(drain_rule(), r"\1 down;" if down else r"\1;", text, flags=re.MULTILINE)


def test_drain_toggles_the_down_flag_idempotently():
    up = "#\n# Managed\n#\nserver 10.110.0.5:80 max_fails=1 fail_timeout=10s;\n"
    down = toggle(up, True)
    assert down.endswith("server 10.110.0.5:80 max_fails=1 fail_timeout=10s down;\n")
    assert toggle(down, True) == down
    assert toggle(down, False) == up
    assert toggle(up, False) == up
    assert toggle("# server in a comment;\n", True) == "# server in a comment;\n"
