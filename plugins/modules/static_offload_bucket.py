#!/usr/bin/python
"""Ansible module: an S3-compatible bucket for static files, and its CORS rules."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: static_offload_bucket
short_description: Check access to an S3-compatible bucket, create it, and set its CORS rules
description:
  - Talks to any S3-compatible endpoint (AWS S3, DigitalOcean Spaces, MinIO, moto) with the few calls
    every one of them supports - ListObjectsV2, CreateBucket, Get/Put/DeleteBucketCors.
  - Fails with a message that names the cause when the endpoint cannot be reached, its certificate
    is not trusted, the credentials are refused or the bucket is missing.
  - Warns when a CORS rule allows any origin.
options:
  name: {description: Bucket name., type: str, required: true}
  endpoint_url: {description: "The endpoint, e.g. https://nyc3.digitaloceanspaces.com.", type: str, required: true}
  region: {description: Region name used for signing (and for creating the bucket)., type: str, default: us-east-1}
  access_key: {description: Access key ID., type: str, required: true}
  secret_key: {description: Secret access key., type: str, required: true}
  ca_bundle: {description: CA bundle to verify the endpoint with (default - the system's)., type: path}
  addressing_style: {description: "auto, path or virtual.", type: str, default: auto, choices: [auto, path, virtual]}
  create: {description: Create the bucket when it does not exist (otherwise a missing bucket fails)., type: bool, default: false}
  cors_rules:
    description:
      - The bucket's CORS rules (allowed_origins, allowed_methods, allowed_headers, expose_headers,
        max_age_seconds). An empty list removes the CORS configuration. Omit to leave CORS alone.
    type: list
    elements: dict
requirements: [boto3]
notes:
  - Supports check mode (reads only) and diff mode (the CORS rules before and after).
"""

EXAMPLES = r"""
- name: The static bucket, readable from the site's origin
  static_offload_bucket:
    name: polls-static
    endpoint_url: https://nyc3.digitaloceanspaces.com
    region: nyc3
    access_key: "{{ vault_static_offload_access_key }}"
    secret_key: "{{ vault_static_offload_secret_key }}"
    create: true
    cors_rules:
      - {allowed_origins: ["https://polls.example.com"], allowed_methods: [GET], max_age_seconds: 600}
  no_log: true
"""

RETURN = r"""
created: {description: Whether the bucket was created., type: bool, returned: always}
cors_rules: {description: The CORS rules now in place (normalised)., type: list, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402 - after the documentation, as in every Ansible module

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, SSLError

    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - reported by the module
    HAS_BOTO3 = False

CREDENTIAL_ERRORS = {
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidToken",
    "403",
    "Forbidden",
}
MISSING_BUCKET = {"NoSuchBucket", "404", "NotFound"}
RULE_KEYS = {
    "allowed_origins": "AllowedOrigins",
    "allowed_methods": "AllowedMethods",
    "allowed_headers": "AllowedHeaders",
    "expose_headers": "ExposeHeaders",
    "max_age_seconds": "MaxAgeSeconds",
}


class BucketError(Exception):
    """A failure with a message meant for the person running the playbook."""


def normalise_rules(rules: list[dict]) -> list[dict]:
    """Module-style rules (snake_case) to the S3 API's form, sorted, without empty lists."""
    result = []
    for rule in rules or []:
        unknown = set(rule) - set(RULE_KEYS) - set(RULE_KEYS.values())
        if unknown:
            raise BucketError(f"unknown CORS rule keys: {', '.join(sorted(unknown))}")
        api_rule = {}
        for snake, camel in RULE_KEYS.items():
            value = rule.get(snake, rule.get(camel))
            if value is None or value == []:
                continue
            if camel == "MaxAgeSeconds":
                api_rule[camel] = int(value)
            else:
                api_rule[camel] = sorted(str(item) for item in ([value] if isinstance(value, str) else value))
        if not api_rule.get("AllowedOrigins") or not api_rule.get("AllowedMethods"):
            raise BucketError("every CORS rule needs allowed_origins and allowed_methods")
        result.append(api_rule)
    return result


def api_rules(response_rules: list[dict]) -> list[dict]:
    """Rules as read back from the endpoint, in the same normal form."""
    return normalise_rules([{key: value for key, value in rule.items() if key in RULE_KEYS.values()} for rule in response_rules])


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "")) or str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def describe(error: Exception, params: dict) -> str:
    """A message naming the likely cause of a failed call."""
    endpoint = params["endpoint_url"]
    bucket = params["name"]
    if isinstance(error, SSLError):
        return (
            f"TLS verification of the S3 endpoint {endpoint} failed ({error}). Give the CA that signed its "
            "certificate in static_offload_ca_certificate; certificate checks are never turned off."
        )
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach the S3 endpoint {endpoint} ({error}). Check static_offload_endpoint_url and the network."
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in CREDENTIAL_ERRORS:
            return (
                f"the S3 endpoint {endpoint} refused the credentials for bucket {bucket} ({code}). Check "
                "vault_static_offload_access_key and vault_static_offload_secret_key, and that the key may use this bucket."
            )
        if code in MISSING_BUCKET:
            return f"the bucket {bucket} does not exist at {endpoint}; create it or set static_offload_create_bucket: true."
        return f"the S3 endpoint {endpoint} answered {code} for bucket {bucket}: {error}"
    return f"talking to the S3 endpoint {endpoint} failed: {error}"


def make_client(params: dict):
    config = Config(
        s3={"addressing_style": params["addressing_style"]},
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=10,
        read_timeout=30,
    )
    return boto3.client(
        "s3",
        endpoint_url=params["endpoint_url"],
        region_name=params["region"],
        aws_access_key_id=params["access_key"],
        aws_secret_access_key=params["secret_key"],
        verify=params["ca_bundle"] or True,
        config=config,
    )


def bucket_exists(client, name: str) -> bool:
    try:
        client.list_objects_v2(Bucket=name, MaxKeys=1)
        return True
    except ClientError as error:
        if error_code(error) in MISSING_BUCKET:
            return False
        raise


def current_cors(client, name: str) -> list[dict]:
    try:
        return api_rules(client.get_bucket_cors(Bucket=name).get("CORSRules", []))
    except ClientError as error:
        if error_code(error) in {"NoSuchCORSConfiguration", "404"}:
            return []
        raise


def ensure(client, params: dict, check_mode: bool) -> dict:
    """Does the work; returns the module result. Raises BucketError, ClientError or BotoCoreError."""
    name = params["name"]
    result = {"changed": False, "created": False, "warnings": []}
    exists = bucket_exists(client, name)
    if not exists:
        if not params["create"]:
            raise BucketError(
                f"the bucket {name} does not exist at {params['endpoint_url']}; create it or set static_offload_create_bucket: true."
            )
        if not check_mode:
            kwargs = {"Bucket": name}
            if params["region"] not in ("", "us-east-1"):
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": params["region"]}
            client.create_bucket(**kwargs)
        result.update(changed=True, created=True)

    wanted = normalise_rules(params["cors_rules"]) if params["cors_rules"] is not None else None
    before = current_cors(client, name) if exists else []
    after = before if wanted is None else wanted
    if any("*" in rule["AllowedOrigins"] for rule in after):
        result["warnings"].append(
            f"a CORS rule of bucket {name} allows any origin ('*'): any site can load these files from scripts. "
            "List the site's own origins unless that is what you want."
        )
    if wanted is not None and wanted != before:
        result["changed"] = True
        if not check_mode:
            if wanted:
                client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": wanted})
            else:
                client.delete_bucket_cors(Bucket=name)
    result["cors_rules"] = after
    result["diff"] = {
        "before": {"bucket": name if exists else None, "cors_rules": before},
        "after": {"bucket": name, "cors_rules": after},
    }
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "endpoint_url": {"type": "str", "required": True},
            "region": {"type": "str", "default": "us-east-1"},
            "access_key": {"type": "str", "required": True, "no_log": True},
            "secret_key": {"type": "str", "required": True, "no_log": True},
            "ca_bundle": {"type": "path"},
            "addressing_style": {"type": "str", "default": "auto", "choices": ["auto", "path", "virtual"]},
            "create": {"type": "bool", "default": False},
            "cors_rules": {"type": "list", "elements": "dict"},
        },
        supports_check_mode=True,
    )
    if not HAS_BOTO3:
        module.fail_json(msg="boto3 is needed on the host that runs static_offload_bucket (the app's virtualenv has it)")
    try:
        result = ensure(make_client(module.params), module.params, module.check_mode)
    except BucketError as error:
        module.fail_json(msg=str(error))
    except (ClientError, BotoCoreError) as error:
        module.fail_json(msg=describe(error, module.params))
    for warning in result.pop("warnings"):
        module.warn(warning)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
