"""The web page for people: a private S3 bucket served through CloudFront with origin access control."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra_cdk import packaging


class WebFrontend(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, access_logs: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Site",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="web-site/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Smart Customs Cloud web page",
            default_root_object="index.html",
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix="web-cdn/",
        )
        s3deploy.BucketDeployment(
            self,
            "Deploy",
            sources=[s3deploy.Source.asset(str(packaging.REPO_ROOT / "web"))],
            destination_bucket=self.bucket,
            distribution=self.distribution,
            memory_limit=256,
        )
        Validations.of(self.distribution).acknowledge(
            Acknowledgment(id="AwsSolutions-CFR1", reason="The page is public information for traders everywhere; no geo restriction."),
            Acknowledgment(id="AwsSolutions-CFR2", reason="Static files only; the API behind it has its own regional WAF (CloudFront WAF must live in us-east-1)."),
            Acknowledgment(id="AwsSolutions-CFR4", reason="TLS 1.2_2021 is enforced once a custom domain certificate is attached; the default *.cloudfront.net certificate cannot set it."),
        )
