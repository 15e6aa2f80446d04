import pytest

from customs.config import MissingResourceError, Settings


def test_settings_read_endpoint_and_resource_names_from_environment(monkeypatch):
    # Given the variables CDK (or the local runner) injects
    monkeypatch.setenv("CUSTOMS_AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    monkeypatch.setenv("CUSTOMS_TABLE_API_CLIENTS", "customs-local-api-clients")
    monkeypatch.setenv("CUSTOMS_QUEUE_PLATFORM_EXPORT_URL", "http://127.0.0.1:5999/123/q")
    settings = Settings()
    # Then names resolve by logical id
    assert settings.aws_endpoint_url == "http://127.0.0.1:5999"
    assert settings.table_name("api_clients") == "customs-local-api-clients"
    assert settings.queue_url("platform_export").endswith("/q")


def test_missing_resource_is_a_wiring_error_naming_the_variable(monkeypatch):
    monkeypatch.delenv("CUSTOMS_BUCKET_NOPE", raising=False)
    with pytest.raises(MissingResourceError, match="CUSTOMS_BUCKET_NOPE"):
        Settings().bucket_name("nope")


def test_region_falls_back_to_aws_region(monkeypatch):
    monkeypatch.delenv("CUSTOMS_AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert Settings().aws_region == "eu-west-1"


def test_topic_arns_and_the_open_data_base_url_come_from_the_environment(monkeypatch):
    from infra_cdk import resources as res

    monkeypatch.setenv(res.env_var("TOPIC", "open_data_changes"), "arn:aws:sns:us-east-1:123456789012:customs-local-open-data-changes")
    monkeypatch.setenv("CUSTOMS_OPEN_DATA_BASE_URL", "https://d111111abcdef8.cloudfront.net")
    settings = Settings()
    assert settings.topic_arn("open_data_changes").endswith(":customs-local-open-data-changes")
    assert settings.open_data_base_url == "https://d111111abcdef8.cloudfront.net"
