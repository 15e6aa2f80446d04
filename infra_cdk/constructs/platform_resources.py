"""Tables, queues (with DLQs), buckets, S3→SQS notifications and topics, built from ``infra_cdk/resources.py``."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Validations, aws_dynamodb as dynamodb, aws_s3 as s3, aws_s3_notifications as s3n, aws_sqs as sqs
from aws_cdk import aws_kms as kms, aws_sns as sns
from aws_cdk import Acknowledgment
from constructs import Construct

from infra_cdk import resources as res

# S3 notification event names (as the API and the emulator take them) → CDK enum members.
_S3_EVENTS = {
    "s3:ObjectCreated:*": s3.EventType.OBJECT_CREATED,
    "s3:ObjectCreated:Put": s3.EventType.OBJECT_CREATED_PUT,
    "s3:ObjectRemoved:*": s3.EventType.OBJECT_REMOVED,
}
_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER, "B": dynamodb.AttributeType.BINARY}


def _attribute(key: res.KeySpec) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class PlatformResources(Construct):
    """Every stateful resource the declarative definition lists, exposed by logical id."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {spec.logical_id: self._table(spec) for spec in res.TABLES}
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for spec in res.QUEUES:
            self.queues[spec.logical_id], self.dlqs[spec.logical_id] = self._queue(spec)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(400))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.access_logs).acknowledge(
            Acknowledgment(id="AwsSolutions-S1", reason="This is the server access log bucket; logging it to itself would loop.")
        )
        self.buckets: dict[str, s3.Bucket] = {spec.logical_id: self._bucket(spec) for spec in res.BUCKETS}
        self.topics: dict[str, sns.Topic] = {spec.logical_id: self._topic(spec) for spec in res.TOPICS}

    def _topic(self, spec: res.TopicSpec) -> sns.Topic:
        return sns.Topic(
            self,
            f"Topic-{spec.logical_id}",
            display_name=spec.description[:100] or None,
            master_key=kms.Alias.from_alias_name(self, f"TopicKey-{spec.logical_id}", "alias/aws/sns"),
            enforce_ssl=True,
        )

    def _table(self, spec: res.TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"Table-{spec.logical_id}",
            partition_key=_attribute(spec.partition_key),
            sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True),
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _queue(self, spec: res.QueueSpec) -> tuple[sqs.Queue, sqs.Queue]:
        dlq = sqs.Queue(
            self,
            f"Dlq-{spec.logical_id}",
            retention_period=Duration.days(spec.dlq_retention_days),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        Validations.of(dlq).acknowledge(Acknowledgment(id="AwsSolutions-SQS3", reason="This queue is itself a dead-letter queue."))
        queue = sqs.Queue(
            self,
            f"Queue-{spec.logical_id}",
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            retention_period=Duration.days(spec.retention_days),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
        )
        return queue, dlq

    def _bucket(self, spec: res.BucketSpec) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            f"Bucket-{spec.logical_id}",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=spec.versioned,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{spec.logical_id}/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(spec.noncurrent_expiry_days))]
            if spec.noncurrent_expiry_days
            else None,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for notification in spec.notifications:
            filters = s3.NotificationKeyFilter(prefix=notification.prefix or None, suffix=notification.suffix or None)
            for event in notification.events:
                bucket.add_event_notification(
                    _S3_EVENTS[event], s3n.SqsDestination(self.queues[notification.queue]), filters
                )
        return bucket
