"""Creates, on the emulator, every table, queue (with DLQ and redrive), bucket, S3→SQS notification and topic that
``infra_cdk/resources.py`` declares, and returns the environment variables that name them for the functions."""

from __future__ import annotations

import json
from typing import Any

import boto3

from infra_cdk import resources as res

LOCAL_ACCOUNT = "123456789012"  # moto's default account


def _clients(endpoint_url: str, region: str) -> dict[str, Any]:
    return {name: boto3.client(name, endpoint_url=endpoint_url, region_name=region) for name in ("dynamodb", "sqs", "s3", "sns")}


def create_table(ddb: Any, spec: res.TableSpec, name: str) -> None:
    keys = [spec.partition_key] + ([spec.sort_key] if spec.sort_key else [])
    attributes = {k.name: k.type for k in keys}
    for index in spec.indexes:
        attributes[index.partition_key.name] = index.partition_key.type
        if index.sort_key:
            attributes[index.sort_key.name] = index.sort_key.type

    def key_schema(pk: res.KeySpec, sk: res.KeySpec | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
        if sk:
            schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
        return schema

    kwargs: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in sorted(attributes.items())],
        "KeySchema": key_schema(spec.partition_key, spec.sort_key),
        "SSESpecification": {"Enabled": True},
    }
    if spec.indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": key_schema(i.partition_key, i.sort_key), "Projection": {"ProjectionType": "ALL"}}
            for i in spec.indexes
        ]
    ddb.create_table(**kwargs)
    if spec.ttl_attribute:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute})


def create_queue(sqs: Any, spec: res.QueueSpec, name: str, region: str) -> str:
    dlq_url = sqs.create_queue(
        QueueName=f"{name}-dlq",
        Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_days * 86400), "SqsManagedSseEnabled": "true"},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "MessageRetentionPeriod": str(spec.retention_days * 86400),
            "SqsManagedSseEnabled": "true",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
        },
    )["QueueUrl"]


def create_bucket(s3: Any, spec: res.BucketSpec, name: str, region: str, environment: str) -> None:
    s3.create_bucket(Bucket=name)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")},
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    if spec.versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if spec.notifications:
        configs = []
        for n in spec.notifications:
            rules = [{"Name": "prefix", "Value": n.prefix}] if n.prefix else []
            rules += [{"Name": "suffix", "Value": n.suffix}] if n.suffix else []
            config: dict[str, Any] = {
                "QueueArn": f"arn:aws:sqs:{region}:{LOCAL_ACCOUNT}:{res.local_name(n.queue, environment)}",
                "Events": list(n.events),
            }
            if rules:
                config["Filter"] = {"Key": {"FilterRules": rules}}
            configs.append(config)
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"QueueConfigurations": configs})


def bootstrap(endpoint_url: str, region: str = "us-east-1", environment: str = "local") -> dict[str, str]:
    """Create everything (idempotent on a fresh emulator) and return the env vars naming each resource."""
    clients = _clients(endpoint_url, region)
    env: dict[str, str] = {}
    existing_tables = set(clients["dynamodb"].list_tables()["TableNames"])
    for spec in res.TABLES:
        name = res.local_name(spec.logical_id, environment)
        if name not in existing_tables:
            create_table(clients["dynamodb"], spec, name)
        env[res.env_var("TABLE", spec.logical_id)] = name
    for spec in res.QUEUES:  # queues before buckets: notifications point at queues
        name = res.local_name(spec.logical_id, environment)
        url = create_queue(clients["sqs"], spec, name, region)
        env[res.env_var("QUEUE", spec.logical_id)] = url
        env[res.env_var("QUEUE", spec.dlq_logical_id)] = url.replace(name, f"{name}-dlq")
    existing_buckets = {b["Name"] for b in clients["s3"].list_buckets().get("Buckets", [])}
    for spec in res.BUCKETS:
        name = res.local_name(spec.logical_id, environment)
        if name not in existing_buckets:
            create_bucket(clients["s3"], spec, name, region, environment)
        env[res.env_var("BUCKET", spec.logical_id)] = name
    for spec in res.TOPICS:  # CreateTopic is idempotent: it returns the existing topic's ARN
        arn = clients["sns"].create_topic(Name=res.local_name(spec.logical_id, environment))["TopicArn"]
        env[res.env_var("TOPIC", spec.logical_id)] = arn
    return env
