"""What Django is given for an object store (plugins/filter/static_offload.py)."""

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
plugin = load_file("plugins/filter/static_offload.py")
derive = plugin.static_offload_django

SPACE = {
    "enabled": True,
    "endpoint_url": "https://nyc3.digitaloceanspaces.com",
    "region": "nyc3",
    "bucket": "polls-static",
    "access_key": "AKEY",
    "secret_key": "SECRET",
}


def test_without_an_object_store_django_keeps_its_own_storage():
    assert derive({}) == {"storage": {}, "static_url": "/static/", "environment": {}}
    assert derive({"enabled": "false", "bucket": "ignored"})["static_url"] == "/static/"
    # The result is a fresh dict each time (a caller may change it).
    derive({})["storage"]["x"] = 1
    assert derive({})["storage"] == {}


def test_a_space_at_its_endpoint():
    result = derive(SPACE)
    assert result["static_url"] == "https://nyc3.digitaloceanspaces.com/polls-static/static/"
    assert result["storage"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "polls-static",
            "endpoint_url": "https://nyc3.digitaloceanspaces.com",
            "region_name": "nyc3",
            "location": "static",
            "default_acl": "public-read",
            "object_parameters": {"CacheControl": "max-age=86400"},
            "querystring_auth": False,
            "file_overwrite": True,
        },
    }
    assert result["environment"] == {"AWS_S3_ACCESS_KEY_ID": "AKEY", "AWS_S3_SECRET_ACCESS_KEY": "SECRET"}


def test_a_cdn_domain_with_a_path_a_private_ca_and_path_addressing():
    # What the local demo sets (inventory/local/group_vars/appservers.yml).
    result = derive(
        SPACE
        | {
            "endpoint_url": "https://django-stack-s3:9000/",
            "custom_domain": "s3.localhost:9443/polls-static/",
            "addressing_style": "path",
            "ca_certificate": "-----BEGIN CERTIFICATE-----...",
            "location": "assets/v1",
            "querystring_auth": "yes",
        }
    )
    assert result["static_url"] == "https://s3.localhost:9443/polls-static/assets/v1/"
    options = result["storage"]["OPTIONS"]
    assert options["custom_domain"] == "s3.localhost:9443/polls-static/"
    assert options["addressing_style"] == "path"
    assert options["verify"] == "/etc/ssl/static-offload/ca.pem"
    assert options["querystring_auth"] is True


def test_null_settings_take_the_defaults():
    # group_vars passes `static_offload_region | default(none)` when it is unset.
    assert derive(SPACE | {"region": None, "location": None})["storage"]["OPTIONS"]["location"] == "static"
    assert derive(SPACE | {"region": None})["storage"]["OPTIONS"]["region_name"] == "us-east-1"


def test_unknown_settings_and_other_types_are_refused():
    with pytest.raises(AnsibleFilterError, match="unknown settings"):
        derive({"enabled": True, "bukket": "x"})
    with pytest.raises(AnsibleFilterError, match="expects a mapping"):
        derive("polls-static")


def test_the_defaults_are_the_roles():
    """A setting left unset means the same to the role and to the filter."""
    defaults = yaml.safe_load((ROOT / "roles/static_offload/defaults/main.yml").read_text())
    specs = yaml.safe_load((ROOT / "roles/static_offload/meta/argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    for key, value in plugin.DEFAULTS.items():
        assert defaults[f"static_offload_{key}"] == value, key
        assert options[f"static_offload_{key}"].get("default") == value, key


def test_the_wiring_passes_every_setting_once():
    """group_vars/appservers.yml hands the filter every setting it knows, each by its role variable."""
    wiring = (ROOT / "group_vars/appservers.yml").read_text()
    assert wiring.count("django_stack.deploy.static_offload_django") == 1
    for key in plugin.DEFAULTS:
        if key != "enabled":
            assert f"'{key}': static_offload_{key}" in wiring, key
