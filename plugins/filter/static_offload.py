"""What Django is given when its static files live in an object store.

Derived once, from the static_offload role's settings, for whoever needs it:
the site wiring (group_vars/appservers.yml) hands the result to the
django_app role (STORAGES["staticfiles"], STATIC_URL, the credentials in the
secrets file), so no play has to load the static_offload role to read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# Each filter's documentation is beside this file: static_offload_django.yml
# (ansible-doc -t filter django_stack.deploy.static_offload_django).

# A setting that is missing or None takes the static_offload role's default
# (roles/static_offload/defaults/main.yml; tests/unit/test_static_offload_django.py
# holds the two equal).
DEFAULTS = {
    "enabled": False,
    "endpoint_url": "",
    "bucket": "",
    "region": "us-east-1",
    "location": "static",
    "addressing_style": "auto",
    "custom_domain": "",
    "default_acl": "public-read",
    "cache_control": "max-age=86400",
    "querystring_auth": False,
    "ca_certificate": "",
    "ca_file": "/etc/ssl/static-offload/ca.pem",
    "access_key": "",
    "secret_key": "",
}

# Without an object store: Django's own storage, nginx serves STATIC_ROOT.
LOCAL = {"storage": {}, "static_url": "/static/", "environment": {}}


def static_offload_django(settings) -> dict:
    """{'storage': STORAGES['staticfiles'], 'static_url': STATIC_URL, 'environment': the credentials}."""
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError(f"static_offload_django: expects a mapping of static_offload settings, got {type(settings).__name__}")
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise AnsibleFilterError(f"static_offload_django: unknown settings {unknown} (known: {sorted(DEFAULTS)})")
    given = {key: (DEFAULTS[key] if settings.get(key) is None else settings[key]) for key in DEFAULTS}
    if not boolean(given["enabled"], strict=False):
        return {key: (dict(value) if isinstance(value, dict) else value) for key, value in LOCAL.items()}

    custom_domain = str(given["custom_domain"])
    if custom_domain:
        base = "https://" + re.sub("/+$", "", custom_domain)
    else:
        base = re.sub("/+$", "", str(given["endpoint_url"])) + "/" + str(given["bucket"])
    options = {
        "bucket_name": given["bucket"],
        "endpoint_url": given["endpoint_url"],
        "region_name": given["region"],
        "location": given["location"],
        "default_acl": given["default_acl"],
        "object_parameters": {"CacheControl": given["cache_control"]},
        "querystring_auth": boolean(given["querystring_auth"], strict=False),
        "file_overwrite": True,
    }
    if custom_domain:
        options["custom_domain"] = custom_domain
    if given["addressing_style"] != "auto":
        options["addressing_style"] = given["addressing_style"]
    if str(given["ca_certificate"]):
        options["verify"] = given["ca_file"]
    return {
        "storage": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "static_url": f"{base}/{given['location']}/",
        "environment": {"AWS_S3_ACCESS_KEY_ID": given["access_key"], "AWS_S3_SECRET_ACCESS_KEY": given["secret_key"]},
    }


class FilterModule:
    def filters(self):
        return {"static_offload_django": static_offload_django}
