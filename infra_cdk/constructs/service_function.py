"""One Lambda function of the platform, zip (with the shared layers) or container image, set up alike:
Powertools environment, X-Ray tracing, a log group with retention, resource names injected as env vars."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations, aws_lambda as lambda_, aws_logs as logs
from constructs import Construct

from infra_cdk import constants, packaging
from infra_cdk import resources as res


class SharedLayers(Construct):
    """The ``customs`` library layer and the third-party dependencies layer."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        runtime = lambda_.Runtime(constants.PYTHON_RUNTIME, lambda_.RuntimeFamily.PYTHON)
        self.library = lambda_.LayerVersion(
            self,
            "CustomsLibrary",
            code=lambda_.Code.from_asset(str(packaging.shared_layer_dir()), exclude=["**/__pycache__", "**/*.pyc"]),
            compatible_runtimes=[runtime],
            description="customs: config, observability, AWS clients, identity, HS nomenclature",
        )
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(packaging.dependencies_layer_dir())),
            compatible_runtimes=[runtime],
            description="Pinned third-party runtime packages (requirements/runtime.txt)",
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.library, self.dependencies]


class ServiceFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: res.FunctionSpec,
        layers: SharedLayers,
        environment: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        env = {
            "POWERTOOLS_SERVICE_NAME": spec.logical_id,
            "POWERTOOLS_METRICS_NAMESPACE": "SmartCustomsCloud",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "CUSTOMS_ENVIRONMENT": str(Stack.of(self).node.try_get_context("environment") or constants.CONTEXT_DEFAULTS["environment"]),
            **(environment or {}),
        }
        common = dict(
            timeout=Duration.seconds(spec.timeout_s),
            memory_size=spec.memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            environment=env,
            log_group=log_group,
            description=spec.description,
            architecture=lambda_.Architecture.X86_64,
        )
        if spec.container:
            self.function: lambda_.Function = lambda_.DockerImageFunction(
                self,
                "Function",
                code=lambda_.DockerImageCode.from_image_asset(
                    str(packaging.REPO_ROOT),
                    file=f"{spec.folder}/Dockerfile",
                    exclude=packaging.DOCKER_CONTEXT_EXCLUDES,
                ),
                **common,
            )
        else:
            module, _, attribute = spec.handler.partition(":")
            self.function = lambda_.Function(
                self,
                "Function",
                runtime=lambda_.Runtime(constants.PYTHON_RUNTIME, lambda_.RuntimeFamily.PYTHON),
                handler=f"{module}.{attribute}",
                code=lambda_.Code.from_asset(str(packaging.stage_function(spec.logical_id))),
                layers=layers.all,
                **common,
            )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                reason="The AWS-managed basic execution role only allows writing this function's own CloudWatch logs.",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
            ),
        )
        if not spec.container:
            Validations.of(self.function).acknowledge(
                Acknowledgment(id="AwsSolutions-L1", reason=f"Pinned to {constants.PYTHON_RUNTIME}, the runtime the code is tested on.")
            )
