"""The generated Django settings: valid Python, the right values, no secrets."""

import ast
import re
from pathlib import Path

import jinja2
import pytest

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "django_app"
plugin = load_file("plugins/filter/python_literal.py")
db_plugin = load_file("plugins/filter/django_database.py")


def render(**overrides) -> str:
    # Renders Python source, not HTML: no autoescape, as in Ansible.
    env = jinja2.Environment(  # noqa: S701
        loader=jinja2.FileSystemLoader(str(ROLE / "templates")), undefined=jinja2.StrictUndefined
    )
    env.filters.update(
        {"django_stack.deploy.python_literal": plugin.python_literal},
        comment=lambda text: "#\n# " + text + "\n#",
        bool=lambda value: value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on"),
        regex_replace=lambda value, pattern, replacement: re.sub(pattern, replacement, value),
        unique=lambda items: list(dict.fromkeys(items)),
    )
    variables = {
        "ansible_managed": "Managed by Ansible",
        "django_app_name": "polls",
        "django_app_env_file": "/etc/polls/polls.env",
        "django_app_settings_module": "mysite.settings",
        "django_app_deploy_settings_module": "django_stack_settings",
        "django_app_debug": False,
        "django_app_allowed_hosts": ["polls.example.com", ".example.org", "localhost"],
        "django_app_time_zone": "UTC",
        "django_app_db_host": "10.0.0.3",
        "django_app_db_port": "5432",
        "django_app_db_name": "polls",
        "django_app_db_user": "polls",
        "django_app_db_conn_max_age": 0,
        "django_app_db_conn_health_checks": False,
        "django_app_db_options": {"sslmode": "require"},
        "django_app_static_root": "/srv/polls/static",
        "django_app_static_url": "/static/",
        "django_app_version": "1",
        "django_app_https": False,
        "django_app_hsts_seconds": 31536000,
        "django_app_hsts_include_subdomains": True,
        "django_app_hsts_preload": False,
        "django_app_ssl_redirect_exempt": ["^healthz$"],
        "django_app_csrf_trusted_origins": [],
        "django_app_extra_settings": {},
        "django_app_static_storage": {},
        "django_app_static_hashed_names": False,
        "django_app_static_manifest_name": "staticfiles-1.json",
    }
    variables.update(overrides)
    # What defaults/main.yml derives with the django_database filter.
    variables.setdefault(
        "django_app_db_settings",
        db_plugin.django_database(
            variables.setdefault("django_app_db_connection_mode", "direct"),
            variables["django_app_db_name"],
            variables["django_app_db_user"],
            variables["django_app_db_host"],
            variables["django_app_db_port"],
            variables["django_app_db_options"],
            conn_max_age=variables["django_app_db_conn_max_age"],
            health_checks=str(variables["django_app_db_conn_health_checks"]).lower() in ("1", "true", "yes", "on"),
            pgbouncer=variables.get("django_app_db_pgbouncer", {"host": "/var/run/postgresql", "port": 6432}),
            pool={"min_size": 1, "max_size": 2, "max_idle": 300, "timeout": 10},
        ),
    )
    return env.get_template("django_stack_settings.py.j2").render(**variables)


def assignments(source: str) -> dict:
    tree = ast.parse(source)
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                values[node.targets[0].id] = ast.unparse(node.value)
    return values


def test_defaults_render_valid_python_with_debug_off():
    values = assignments(render())
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["polls.example.com", ".example.org", "localhost"]
    assert values["SECRET_KEY"] == "os.environ['DJANGO_SECRET_KEY']"
    assert values["STATIC_ROOT"] == "/srv/polls/static"
    assert "SECURE_SSL_REDIRECT" not in values


def test_database_settings_take_types_from_variables():
    source = render(django_app_db_connection_mode="persistent", django_app_db_conn_max_age=60, django_app_db_conn_health_checks="true")
    database = ast.unparse(next(n.value for n in ast.parse(source).body if getattr(n, "targets", [None])[0] and
                                getattr(n.targets[0], "id", "") == "DATABASES"))
    assert "'PORT': 5432" in database
    assert "'CONN_MAX_AGE': 60" in database
    assert "'CONN_HEALTH_CHECKS': True" in database
    assert "os.environ['DJANGO_DB_PASSWORD']" in database


def test_https_settings_for_check_deploy():
    values = assignments(render(django_app_https=True))
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://polls.example.com", "https://*.example.org"]
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]


def test_extra_csrf_origins_are_added_once():
    values = assignments(
        render(django_app_https=True, django_app_csrf_trusted_origins=["https://polls.localhost:8443", "https://polls.example.com"])
    )
    assert values["CSRF_TRUSTED_ORIGINS"] == [
        "https://polls.example.com",
        "https://*.example.org",
        "https://polls.localhost:8443",
    ]


def test_include_subdomains_off_is_a_choice_check_deploy_accepts():
    values = assignments(render(django_app_https=True, django_app_hsts_include_subdomains=False))
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W005", "security.W021"]


def test_preload_on_silences_nothing():
    values = assignments(render(django_app_https=True, django_app_hsts_preload=True))
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert "SILENCED_SYSTEM_CHECKS" not in values


@pytest.mark.parametrize("hostile", ["x'; import os; os.system('id') #", '"""', "\\", "line\nbreak"])
def test_hostile_values_stay_inside_their_literals(hostile):
    values = assignments(render(django_app_allowed_hosts=[hostile], django_app_extra_settings={"NOTE": hostile}))
    assert values["ALLOWED_HOSTS"] == [hostile]
    assert values["NOTE"] == hostile


def test_env_file_loader_in_the_settings_parses_quotes(tmp_path, monkeypatch):
    env_file = tmp_path / "app.env"
    env_file.write_text("# comment\nDJANGO_SECRET_KEY='a=b c'\nDJANGO_DB_PASSWORD=\"pw\"\nBROKEN\n")
    source = render(django_app_env_file=str(env_file))
    loader = source.split("\n_load_env_file(")[0] + "\n"
    namespace: dict = {}
    for key in ("DJANGO_SECRET_KEY", "DJANGO_DB_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    exec(compile(loader, "settings", "exec"), namespace)  # noqa: S102 - our own template's helper
    namespace["_load_env_file"](str(env_file))
    import os

    assert os.environ["DJANGO_SECRET_KEY"] == "a=b c"
    assert os.environ["DJANGO_DB_PASSWORD"] == "pw"


def _exec(source: str) -> dict:
    namespace: dict = {}
    code = source.split("from mysite.settings import *", 1)[1].split("SECRET_KEY =", 1)[1]
    exec(compile("SECRET_KEY =" + code, "settings", "exec"), {"os": __import__("os")} | {"__name__": "x"}, namespace)  # noqa: S102
    return namespace


S3_STORAGE = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": "polls-static",
        "endpoint_url": "https://nyc3.digitaloceanspaces.com",
        "location": "static",
        "default_acl": "public-read",
        "object_parameters": {"CacheControl": "max-age=86400"},
        "querystring_auth": False,
        "custom_domain": "polls-static.nyc3.cdn.digitaloceanspaces.com",
    },
}


def test_no_static_storage_leaves_django_s_default():
    source = render()
    assert "STORAGES" not in source
    ast.parse(source)


def test_static_storage_replaces_only_the_staticfiles_entry(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 50)
    monkeypatch.setenv("DJANGO_DB_PASSWORD", "pw")
    source = render(
        django_app_static_storage=S3_STORAGE,
        django_app_static_url="https://polls-static.nyc3.cdn.digitaloceanspaces.com/static/",
    )
    ast.parse(source)
    settings = _exec(source)
    assert settings["STORAGES"]["staticfiles"] == S3_STORAGE
    assert settings["STORAGES"]["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert settings["STATIC_URL"] == "https://polls-static.nyc3.cdn.digitaloceanspaces.com/static/"
    assert "STATICFILES_STORAGE" not in source

@pytest.mark.parametrize("storage", [{}, S3_STORAGE])
def test_hashed_names_wrap_the_storage_with_the_versions_manifest(storage, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 50)
    monkeypatch.setenv("DJANGO_DB_PASSWORD", "pw")
    source = render(
        django_app_static_storage=storage, django_app_static_hashed_names=True, django_app_static_manifest_name="staticfiles-7.json"
    )
    settings = _exec(source)
    base = storage or {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    assert settings["STORAGES"]["staticfiles"] == {
        "BACKEND": "django_stack_storage.hashed_storage",
        "OPTIONS": {"backend": base["BACKEND"], "manifest_name": "staticfiles-7.json", "options": base.get("OPTIONS", {})},
    }
    assert settings["STORAGES"]["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def database_of(source: str) -> dict:
    """DATABASES["default"] of the rendered settings, the password left aside."""
    node = next(n.value for n in ast.parse(source).body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "DATABASES")
    default = node.values[0]
    merged = {}
    for key, value in zip(default.keys, default.values, strict=True):
        if key is None:  # **{...}
            merged.update(ast.literal_eval(value))
        else:
            merged[ast.literal_eval(key)] = ast.unparse(value)
    return merged


@pytest.mark.parametrize("mode", ["direct", "persistent", "pgbouncer", "pool"])
def test_each_connection_mode_renders_its_database_settings(mode):
    source = render(django_app_db_connection_mode=mode, django_app_db_conn_max_age=60)
    database = database_of(source)
    assert f"# Connection mode: {mode}." in source
    assert database["PASSWORD"] == "os.environ['DJANGO_DB_PASSWORD']"
    expected = {
        "direct": ("10.0.0.3", 0, "OPTIONS", {"sslmode": "require"}),
        "persistent": ("10.0.0.3", 0, "OPTIONS", {"sslmode": "require"}),
        "pgbouncer": ("/var/run/postgresql", 6432, "OPTIONS", {}),
        "pool": ("10.0.0.3", 5432, "OPTIONS", None),
    }[mode]
    assert database["HOST"] == expected[0]
    if mode == "pool":
        assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 2, "max_idle": 300, "timeout": 10}
        assert database["CONN_MAX_AGE"] == 0
    if mode == "pgbouncer":
        assert database["PORT"] == 6432
        assert database["OPTIONS"] == {}
        assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    else:
        assert "DISABLE_SERVER_SIDE_CURSORS" not in database
