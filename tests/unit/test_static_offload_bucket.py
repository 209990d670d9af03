"""Unit tests of plugins/modules/static_offload_bucket.py, with botocore's Stubber."""


import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, SSLError
from botocore.stub import Stubber

from tests.lib.loader import load_file

sob = load_file("plugins/modules/static_offload_bucket.py")

RULE = {"allowed_origins": ["https://polls.example.com"], "allowed_methods": ["GET"], "max_age_seconds": "600"}
API_RULE = {"AllowedOrigins": ["https://polls.example.com"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 600}


def params(**overrides):
    base = {
        "name": "polls-static",
        "endpoint_url": "https://nyc3.digitaloceanspaces.com",
        "region": "nyc3",
        "access_key": "AKIAEXAMPLE",
        "secret_key": "not-a-real-secret",
        "ca_bundle": None,
        "addressing_style": "auto",
        "create": False,
        "cors_rules": [RULE],
    }
    base.update(overrides)
    return base


@pytest.fixture
def s3():
    client = boto3.client(
        "s3",
        endpoint_url="https://nyc3.digitaloceanspaces.com",
        region_name="nyc3",
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="not-a-real-secret",  # noqa: S106
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def exists(stubber):
    stubber.add_response("list_objects_v2", {"KeyCount": 0}, {"Bucket": "polls-static", "MaxKeys": 1})


def test_rules_are_normalised_to_the_api_form():
    rules = sob.normalise_rules([{"allowed_methods": "GET", "allowed_origins": ["https://b", "https://a"], "max_age_seconds": "600"}])
    assert rules == [{"AllowedOrigins": ["https://a", "https://b"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 600}]


@pytest.mark.parametrize("rule", [{"allowed_origins": ["https://a"]}, {"allowed_methods": ["GET"]}, {"allowed_origin": ["x"]}])
def test_incomplete_or_unknown_rules_are_refused(rule):
    with pytest.raises(sob.BucketError):
        sob.normalise_rules([rule])


def test_matching_rules_change_nothing(s3):
    client, stubber = s3
    exists(stubber)
    stubber.add_response("get_bucket_cors", {"CORSRules": [API_RULE]}, {"Bucket": "polls-static"})
    result = sob.ensure(client, params(), check_mode=False)
    assert result["changed"] is False
    assert result["cors_rules"] == [API_RULE]
    assert result["warnings"] == []


def test_different_rules_are_replaced_with_a_diff(s3):
    client, stubber = s3
    exists(stubber)
    old = {**API_RULE, "AllowedOrigins": ["*"]}
    stubber.add_response("get_bucket_cors", {"CORSRules": [old]}, {"Bucket": "polls-static"})
    stubber.add_response("put_bucket_cors", {}, {"Bucket": "polls-static", "CORSConfiguration": {"CORSRules": [API_RULE]}})
    result = sob.ensure(client, params(), check_mode=False)
    assert result["changed"] is True
    assert result["diff"]["before"]["cors_rules"] == [old]
    assert result["diff"]["after"]["cors_rules"] == [API_RULE]


def test_check_mode_reads_only(s3):
    client, stubber = s3
    exists(stubber)
    stubber.add_client_error("get_bucket_cors", "NoSuchCORSConfiguration", http_status_code=404)
    result = sob.ensure(client, params(), check_mode=True)  # no put_bucket_cors queued: a write would fail
    assert result["changed"] is True


def test_missing_bucket_is_created_with_its_region(s3):
    client, stubber = s3
    stubber.add_client_error("list_objects_v2", "NoSuchBucket", http_status_code=404)
    stubber.add_response(
        "create_bucket", {}, {"Bucket": "polls-static", "CreateBucketConfiguration": {"LocationConstraint": "nyc3"}}
    )
    stubber.add_response("put_bucket_cors", {}, {"Bucket": "polls-static", "CORSConfiguration": {"CORSRules": [API_RULE]}})
    result = sob.ensure(client, params(create=True), check_mode=False)
    assert result["changed"] is True and result["created"] is True


def test_missing_bucket_without_create_fails_clearly(s3):
    client, stubber = s3
    stubber.add_client_error("list_objects_v2", "NoSuchBucket", http_status_code=404)
    with pytest.raises(sob.BucketError, match="static_offload_create_bucket"):
        sob.ensure(client, params(), check_mode=False)


def test_any_origin_is_warned_about(s3):
    client, stubber = s3
    exists(stubber)
    star = {**API_RULE, "AllowedOrigins": ["*"]}
    stubber.add_response("get_bucket_cors", {"CORSRules": [star]}, {"Bucket": "polls-static"})
    result = sob.ensure(client, params(cors_rules=[{**RULE, "allowed_origins": ["*"]}]), check_mode=False)
    assert result["changed"] is False
    assert "any origin" in result["warnings"][0]


def test_empty_rules_remove_the_cors_configuration(s3):
    client, stubber = s3
    exists(stubber)
    stubber.add_response("get_bucket_cors", {"CORSRules": [API_RULE]}, {"Bucket": "polls-static"})
    stubber.add_response("delete_bucket_cors", {}, {"Bucket": "polls-static"})
    assert sob.ensure(client, params(cors_rules=[]), check_mode=False)["changed"] is True


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ClientError({"Error": {"Code": "SignatureDoesNotMatch"}}, "ListObjectsV2"), "refused the credentials"),
        (ClientError({"Error": {"Code": "InvalidAccessKeyId"}}, "ListObjectsV2"), "vault_static_offload_access_key"),
        (ClientError({"Error": {"Code": "NoSuchBucket"}}, "ListObjectsV2"), "does not exist"),
        (EndpointConnectionError(endpoint_url="https://nyc3.digitaloceanspaces.com"), "cannot reach"),
        (SSLError(endpoint_url="https://nyc3.digitaloceanspaces.com", error="bad cert"), "static_offload_ca_certificate"),
    ],
)
def test_failures_name_their_cause(error, expected):
    message = sob.describe(error, params())
    assert expected in message
    assert "not-a-real-secret" not in message
