"""Open data: the builder function, its schedule, and the private open-data bucket served read-only through
CloudFront with origin access control (access-logged; versioning and lifecycle come from the bucket's spec)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk import resources as res
from infra_cdk.constructs.platform_resources import PlatformResources
from infra_cdk.constructs.service_function import ServiceFunction, SharedLayers

# Tables the vehicle-imports builder scans when they exist (the same list its adapter reads).
VEHICLE_TABLES = ("vehicles", "vehicle_records", "vehicle_imports")

# Daily full rebuild (03:15 UTC); unchanged datasets publish nothing.
SCHEDULE = events.Schedule.cron(minute="15", hour="3")


class OpenData(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state: PlatformResources,
        layers: SharedLayers,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = state.buckets["open_data"]
        sources = state.buckets["open_data_sources"]
        # Superseded dataset versions stay downloadable (reproducibility) but move to a cheaper storage class.
        self.bucket.add_lifecycle_rule(
            id="DatasetVersionsInfrequentAccess",
            prefix="datasets/",
            transitions=[s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(90))],
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Smart Customs Cloud open data downloads",
            default_root_object="catalog.json",
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket, origin_access_levels=[cloudfront.AccessLevel.READ]),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS_WITH_PREFLIGHT_AND_SECURITY_HEADERS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,  # honours Cache-Control: pointers 60 s, versions 1 year
            ),
            enable_logging=True,
            log_bucket=state.access_logs,
            log_file_prefix="open-data-cdn/",
        )
        self.base_url = f"https://{self.distribution.distribution_domain_name}"
        self.builder = ServiceFunction(
            self, "Builder", spec=res.OPEN_DATA, layers=layers, environment={**environment, "CUSTOMS_OPEN_DATA_BASE_URL": self.base_url}
        )
        function = self.builder.function
        # Exactly what the publisher does: read/write/delete the catalogue and dataset objects, list (so a missing
        # pointer reads as 404, not 403), read source drops, keep its ledger; read the sessions table; announce.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.bucket.arn_for_objects("catalog.json"), self.bucket.arn_for_objects("datasets/*")],
            )
        )
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn, sources.bucket_arn]))
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[sources.arn_for_objects("incoming/*")]))
        # The private ledger of classification sessions (they expire after a day; the monthly counts must not).
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[sources.arn_for_objects("ledger/*")]))
        state.tables["classification_sessions"].grant_read_data(function)
        for table_id in VEHICLE_TABLES:  # the vehicle exchange's records, where the platform defines them
            if table_id in state.tables:
                state.tables[table_id].grant_read_data(function)
        state.topics["open_data_changes"].grant_publish(function)
        self.schedule = events.Rule(
            self, "Schedule", schedule=SCHEDULE, description="Daily rebuild of every open-data dataset", targets=[targets.LambdaFunction(function, retry_attempts=2)]
        )

        stack = Stack.of(self)
        bucket_id = stack.get_logical_id(self.bucket.node.default_child)
        sources_id = stack.get_logical_id(sources.node.default_child)
        Validations.of(function).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/datasets/*]",
                reason="The builder writes new dataset versions (unique, dated prefixes) and pointers under datasets/ only.",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{sources_id}.Arn>/incoming/*]",
                reason="The builder reads the source drops under incoming/ only.",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{sources_id}.Arn>/ledger/*]",
                reason="The builder keeps its private per-month ledger of classification sessions under ledger/ only.",
            ),
        )
        Validations.of(self.distribution).acknowledge(
            Acknowledgment(id="AwsSolutions-CFR1", reason="Open data is published for everyone, everywhere; no geo restriction."),
            Acknowledgment(id="AwsSolutions-CFR2", reason="Read-only static downloads (GET/HEAD); CloudFront WAF must live in us-east-1 and is out of this regional stack."),
            Acknowledgment(id="AwsSolutions-CFR4", reason="TLS 1.2_2021 is enforced once a custom domain certificate is attached; the default *.cloudfront.net certificate cannot set it."),
        )
