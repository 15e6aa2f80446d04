"""The one stack: it composes the capability constructs and wires the event sources; nothing else."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra_cdk import resources as res
from infra_cdk.constructs.hybrid_link import HybridLink
from infra_cdk.constructs.identity import Identity
from infra_cdk.constructs.platform_resources import PlatformResources
from infra_cdk.constructs.service_function import ServiceFunction, SharedLayers
from infra_cdk.constructs.tariff_classification import TariffClassification


class SmartCustomsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        state = PlatformResources(self, "State")
        layers = SharedLayers(self, "Layers")
        identity = Identity(self, "Identity")
        environment = {
            **{res.env_var("TABLE", k): t.table_name for k, t in state.tables.items()},
            **{res.env_var("QUEUE", k): q.queue_url for k, q in state.queues.items()},
            **{res.env_var("BUCKET", k): b.bucket_name for k, b in state.buckets.items()},
            "CUSTOMS_JWT_ISSUER": identity.issuer,
            "CUSTOMS_JWKS_URL": identity.jwks_url,
        }
        classification = TariffClassification(self, "TariffClassification", layers=layers, environment=environment)
        state.tables["api_clients"].grant_read_data(classification.api_function.function)
        link = HybridLink(self, "HybridLink", state=state, layers=layers, environment=environment)

        self.functions: dict[str, ServiceFunction] = {
            f.spec.logical_id: f for f in (classification.classifier, classification.api_function, link.intake)
        }
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

    def _acknowledge_cdk_singletons(self) -> None:
        """Functions CDK itself adds (S3 notification setup) carry its own managed-policy role."""
        for child in self.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                Validations.of(child).acknowledge(
                    Acknowledgment(
                        id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                        reason="CDK's own deploy-time handler that writes the bucket notification configuration; it only logs.",
                    )
                )
