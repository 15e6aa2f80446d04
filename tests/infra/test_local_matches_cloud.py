"""The emulator's resources, created by the local bootstrap, match what the CDK template declares."""

from __future__ import annotations

import json

import boto3
import pytest

from infra_cdk import resources as res
from scripts.local.bootstrap import bootstrap
from scripts.local.emulator import MotoServer
from tests.infra.conftest import of_type


@pytest.fixture(scope="module")
def emulator():
    with MotoServer() as server:
        env = bootstrap(server.endpoint_url)
        yield server, env


def _client(server, name):
    return boto3.client(name, endpoint_url=server.endpoint_url, region_name="us-east-1")


def _cfn_keys(schema: list[dict]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def test_tables_match(emulator, resources):
    server, env = emulator
    ddb = _client(server, "dynamodb")
    cloud = sorted(
        (
            _cfn_keys(t["Properties"]["KeySchema"]),
            sorted((g["IndexName"], tuple(_cfn_keys(g["KeySchema"]))) for g in t["Properties"].get("GlobalSecondaryIndexes", [])),
            t["Properties"].get("TimeToLiveSpecification", {}).get("AttributeName"),
        )
        for t in of_type(resources, "AWS::DynamoDB::Table").values()
    )
    local = []
    for spec in res.TABLES:
        name = env[res.env_var("TABLE", spec.logical_id)]
        table = ddb.describe_table(TableName=name)["Table"]
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        local.append(
            (
                _cfn_keys(table["KeySchema"]),
                sorted((g["IndexName"], tuple(_cfn_keys(g["KeySchema"]))) for g in table.get("GlobalSecondaryIndexes", [])),
                ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
            )
        )
    assert sorted(local) == cloud


def test_queues_match(emulator, resources):
    server, env = emulator
    sqs = _client(server, "sqs")
    cloud_queues = of_type(resources, "AWS::SQS::Queue")
    cloud = sorted(
        (q["Properties"]["VisibilityTimeout"], q["Properties"]["RedrivePolicy"]["maxReceiveCount"], q["Properties"]["MessageRetentionPeriod"])
        for q in cloud_queues.values()
        if "RedrivePolicy" in q["Properties"]
    )
    local = []
    for spec in res.QUEUES:
        attributes = sqs.get_queue_attributes(QueueUrl=env[res.env_var("QUEUE", spec.logical_id)], AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(res.local_name(spec.logical_id) + "-dlq")
        local.append((int(attributes["VisibilityTimeout"]), int(redrive["maxReceiveCount"]), int(attributes["MessageRetentionPeriod"])))
    assert sorted(local) == cloud


def test_bucket_notifications_match(emulator, resources):
    server, env = emulator
    s3 = _client(server, "s3")
    cloud = sorted(
        (
            tuple(sorted((r["Name"].lower(), r["Value"]) for r in c.get("Filter", {}).get("Key", {}).get("FilterRules", []))),
            c["Events"] if isinstance(c.get("Events"), list) else [c["Event"]],
        )
        for n in resources.values()
        if n["Type"] == "Custom::S3BucketNotifications"
        for c in n["Properties"]["NotificationConfiguration"].get("QueueConfigurations", [])
    )
    local = []
    for spec in res.BUCKETS:
        config = s3.get_bucket_notification_configuration(Bucket=env[res.env_var("BUCKET", spec.logical_id)])
        for c in config.get("QueueConfigurations", []):
            local.append((tuple(sorted((r["Name"].lower(), r["Value"]) for r in c.get("Filter", {}).get("Key", {}).get("FilterRules", []))), c["Events"]))
    assert sorted(local) == cloud


def test_buckets_match_versioning(emulator, resources):
    server, env = emulator
    s3 = _client(server, "s3")
    # Buckets from the declarative definition (the access-log and web-site buckets are cloud-only).
    declared = {k: b for k, b in of_type(resources, "AWS::S3::Bucket").items() if k.startswith("StateBucket")}
    assert len(declared) == len(res.BUCKETS)
    cloud_versioned = sum(1 for b in declared.values() if b["Properties"].get("VersioningConfiguration", {}).get("Status") == "Enabled")
    local_versioned = sum(
        1 for spec in res.BUCKETS if s3.get_bucket_versioning(Bucket=env[res.env_var("BUCKET", spec.logical_id)]).get("Status") == "Enabled"
    )
    assert local_versioned == cloud_versioned


def test_topics_match(emulator, resources):
    server, env = emulator
    sns = _client(server, "sns")
    cloud = sorted(t["Properties"].get("DisplayName", "") for t in of_type(resources, "AWS::SNS::Topic").values())
    local_arns = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    local = []
    for spec in res.TOPICS:
        arn = env[res.env_var("TOPIC", spec.logical_id)]
        assert arn in local_arns and arn.endswith(":" + res.local_name(spec.logical_id))
        local.append(spec.description[:100])
    assert sorted(local) == cloud
