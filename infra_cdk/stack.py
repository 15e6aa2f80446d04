"""The one stack: it composes the capability constructs and wires the event sources; nothing else."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra_cdk import resources as res
from infra_cdk.constructs.hybrid_link import HybridLink
from infra_cdk.constructs.identity import Identity
from infra_cdk.constructs.open_data import OpenData
from infra_cdk.constructs.platform_resources import PlatformResources
from infra_cdk.constructs.service_function import ServiceFunction, SharedLayers
from infra_cdk.constructs.tariff_classification import TariffClassification
from infra_cdk.constructs.vehicle_exchange import VehicleExchange
from infra_cdk.constructs.web_frontend import WebFrontend


class SmartCustomsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        state = PlatformResources(self, "State")
        layers = SharedLayers(self, "Layers")
        identity = Identity(self, "Identity")
        environment = {
            **{res.env_var("TABLE", k): t.table_name for k, t in state.tables.items()},
            # (the agencies' vehicle queues only reach the vehicle exchange: Lambda allows 4 KB of environment)
            **{res.env_var("QUEUE", k): q.queue_url for k, q in state.queues.items() if not k.startswith("vehicles_")},
            **{res.env_var("BUCKET", k): b.bucket_name for k, b in state.buckets.items()},
            **{res.env_var("TOPIC", k): t.topic_arn for k, t in state.topics.items()},
            "CUSTOMS_JWT_ISSUER": identity.issuer,
            "CUSTOMS_JWKS_URL": identity.jwks_url,
        }
        classification = TariffClassification(self, "TariffClassification", layers=layers, environment=environment)
        state.tables["api_clients"].grant_read_data(classification.api_function.function)
        state.tables["classification_sessions"].grant_read_write_data(classification.api_function.function)
        state.queues["platform_export"].grant_send_messages(classification.api_function.function)
        state.queues["open_data_events"].grant_send_messages(classification.api_function.function)
        self._classifier_reads_promoted_models(classification.classifier, state)
        self.web = WebFrontend(self, "Web", access_logs=state.access_logs)
        link = HybridLink(self, "HybridLink", state=state, layers=layers, environment=environment)
        self.open_data = OpenData(self, "OpenData", state=state, layers=layers, environment=environment)

        self.vehicle_exchange = VehicleExchange(self, "VehicleExchange", state=state, layers=layers)

        self.functions: dict[str, ServiceFunction] = {
            f.spec.logical_id: f for f in (classification.classifier, classification.api_function, link.intake, self.open_data.builder)
        }
        self.functions[res.VEHICLE_EXCHANGE.logical_id] = self.vehicle_exchange.exchange
        for spec in res.QUEUES:
            if spec.consumer:
                function = self.functions[spec.consumer].function
                function.add_event_source(
                    sources.SqsEventSource(
                        state.queues[spec.logical_id],
                        batch_size=spec.batch_size,
                        max_batching_window=Duration.seconds(spec.max_batching_window_s) if spec.max_batching_window_s else None,
                        report_batch_item_failures=True,
                    )
                )
        self._acknowledge_cdk_singletons()

    def _classifier_reads_promoted_models(self, classifier: ServiceFunction, state: PlatformResources) -> None:
        """At cold start the classifier loads the version the hybrid link last promoted (baked model as fallback)."""
        packages = state.buckets["model_packages"]
        packages.grant_read(classifier.function, "promoted/*")
        classifier.function.add_environment("CUSTOMS_MODEL_SOURCE", "promoted")
        bucket_id = self.get_logical_id(packages.node.default_child)
        Validations.of(classifier.function).acknowledge(
            Acknowledgment(id=f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/promoted/*]", reason="Reads only promoted (verified) model packages."),
            Acknowledgment(id="AwsSolutions-IAM5[Action::s3:GetBucket*]", reason="grant_read: bucket-level reads of the one model-packages bucket."),
            Acknowledgment(id="AwsSolutions-IAM5[Action::s3:GetObject*]", reason="grant_read: object reads of promoted model files."),
            Acknowledgment(id="AwsSolutions-IAM5[Action::s3:List*]", reason="grant_read: listing the one model-packages bucket."),
        )

    def _acknowledge_cdk_singletons(self) -> None:
        """Functions CDK itself adds (S3 notification set-up, web asset deployment) run only at deploy time."""
        managed_basic = "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
        for child in self.node.children:
            name = child.node.id
            if name.startswith("BucketNotificationsHandler"):
                Validations.of(child).acknowledge(
                    Acknowledgment(id=managed_basic, reason="CDK's deploy-time handler that writes the bucket notification configuration; it only logs.")
                )
            elif name.startswith("Custom::CDKBucketDeployment"):
                web_bucket = self.get_logical_id(self.web.bucket.node.default_child)
                reason = "CDK's deploy-time BucketDeployment copies the web assets from the CDK asset bucket into the site bucket."
                findings = [
                    managed_basic,
                    "AwsSolutions-L1",
                    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
                    "AwsSolutions-IAM5[Action::s3:GetObject*]",
                    "AwsSolutions-IAM5[Action::s3:List*]",
                    "AwsSolutions-IAM5[Action::s3:Abort*]",
                    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
                    f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{self.region}/*]",
                    f"AwsSolutions-IAM5[Resource::<{web_bucket}.Arn>/*]",
                    "AwsSolutions-IAM5[Resource::*]",
                ]
                Validations.of(child).acknowledge(*(Acknowledgment(id=finding, reason=reason) for finding in findings))
