"""S3 notifications and SQS messages reach handlers with the real Lambda event shape; partial failures,
retries, the DLQ and duplicate deliveries behave as in AWS."""

from __future__ import annotations

import hashlib
import json

import boto3
import pytest

from infra_cdk import resources as res


@pytest.fixture
def aws(platform):
    def make(service: str):
        return boto3.client(service, endpoint_url=platform.emulator.endpoint_url, region_name="us-east-1")

    return make


def upload_package(s3, bucket: str, version: str) -> None:
    model = f"model {version}".encode()
    prefix = f"incoming/classifier/{version}/"
    s3.put_object(Bucket=bucket, Key=prefix + "model.onnx", Body=model)
    manifest = {"model_name": "classifier", "version": version, "files": [{"path": "model.onnx", "sha256": hashlib.sha256(model).hexdigest(), "bytes": len(model)}], "metrics": {"hs6@1": 61.5}}
    s3.put_object(Bucket=bucket, Key=prefix + "manifest.json", Body=json.dumps(manifest))


def registry_items(platform, aws) -> list[dict]:
    return aws("dynamodb").scan(TableName=platform.env["CUSTOMS_TABLE_MODEL_REGISTRY"])["Items"]


def queue_depth(aws, url: str) -> int:
    attributes = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_s3_notification_reaches_the_intake_handler(platform, router, aws, purge_queues):
    # Given a package uploaded by the on-premises platform
    upload_package(aws("s3"), platform.env["CUSTOMS_BUCKET_MODEL_PACKAGES"], "2026.11.1")
    # When the router delivers the S3 notification from the queue
    totals = router.drain()
    # Then it was registered, announced on the export queue, and deleted from the source queue
    assert totals["failed"] == 0 and totals["deleted"] >= 1
    versions = {item["version"]["S"]: item["status"]["S"] for item in registry_items(platform, aws)}
    assert versions["2026.11.1"] == "promoted"
    export = aws("sqs").receive_message(QueueUrl=platform.env["CUSTOMS_QUEUE_PLATFORM_EXPORT_URL"], MaxNumberOfMessages=10)["Messages"]
    assert any(json.loads(m["Body"])["detail"]["version"] == "2026.11.1" for m in export)


def test_duplicate_delivery_is_applied_once(platform, router, aws, purge_queues):
    upload_package(aws("s3"), platform.env["CUSTOMS_BUCKET_MODEL_PACKAGES"], "2026.11.2")
    sqs = aws("sqs")
    queue_url = platform.env["CUSTOMS_QUEUE_MODEL_PACKAGE_EVENTS_URL"]
    notification = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"][0]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=notification["ReceiptHandle"])
    # The same notification delivered twice (SQS is at-least-once)
    sqs.send_message(QueueUrl=queue_url, MessageBody=notification["Body"])
    sqs.send_message(QueueUrl=queue_url, MessageBody=notification["Body"])
    router.drain()
    assert sum(1 for item in registry_items(platform, aws) if item["version"]["S"] == "2026.11.2") == 1
    exported = sqs.receive_message(QueueUrl=platform.env["CUSTOMS_QUEUE_PLATFORM_EXPORT_URL"], MaxNumberOfMessages=10)["Messages"]
    assert sum(1 for m in exported if json.loads(m["Body"])["detail"]["version"] == "2026.11.2") == 1


def test_a_failing_record_fails_alone_and_poison_ends_in_the_dlq(platform, router, aws, purge_queues, caplog):
    sqs = aws("sqs")
    spec = res.queue("model_package_events")
    queue_url = platform.env["CUSTOMS_QUEUE_MODEL_PACKAGE_EVENTS_URL"]
    dlq_url = platform.env["CUSTOMS_QUEUE_MODEL_PACKAGE_EVENTS_DLQ_URL"]
    # Given one good notification and one poison message in the same batch
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"Event": "s3:TestEvent"}))
    poison_id = sqs.send_message(QueueUrl=queue_url, MessageBody="not json at all")["MessageId"]
    binding = next(b for b in router.bindings() if b.queue.logical_id == "model_package_events")
    first = router.poll_once(binding, wait_time_s=0)
    # Then only the poison record failed; the good one was deleted
    assert first == {"delivered": 2, "failed": 1, "deleted": 1}
    # When it keeps failing, after maxReceiveCount receives SQS moves it to the DLQ
    for _ in range(spec.max_receive_count + 1):
        router.poll_once(binding, wait_time_s=0)
    assert queue_depth(aws, queue_url) == 0
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["MessageId"] for m in dead] == [poison_id]
    # And every failed delivery was logged with the message id
    failures = [r.getMessage() for r in caplog.records if r.name == "event-router" and "record failed" in r.getMessage()]
    assert len(failures) == spec.max_receive_count and all(f"message_id={poison_id}" in f for f in failures)


def test_lambda_invoke_through_the_local_endpoint_is_the_same_boto3_call(platform):
    from customs import aws as customs_aws

    client = customs_aws.client("lambda")
    event = json.loads(open("events/platform_link/sqs_s3_test_event.json").read())
    response = client.invoke(FunctionName="platform_link", Payload=json.dumps(event).encode())
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"batchItemFailures": []}
    failing = client.invoke(FunctionName="platform_link", Payload=open("events/platform_link/sqs_poison_message.json", "rb").read())
    assert failing["FunctionError"] == "Unhandled"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="no-such-function", Payload=b"{}")
