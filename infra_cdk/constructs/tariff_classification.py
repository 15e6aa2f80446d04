"""The AI tariff classification service: the classifier (container image) and the public API in front of it.

API Gateway resources and methods are generated from the Chalice app's own route table, so what runs locally
(`chalice local`) and what is deployed cannot list different routes.
"""

from __future__ import annotations


from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra_cdk import constants
from infra_cdk import resources as res
from infra_cdk.constructs.service_function import ServiceFunction, SharedLayers

JSON_ERROR = '{"error": {"code": "%s", "message": %s}}'


class TariffClassification(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        layers: SharedLayers,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.classifier = ServiceFunction(self, "Classifier", spec=res.CLASSIFIER, layers=layers, environment=environment)
        self.api_function = ServiceFunction(
            self,
            "ApiFunction",
            spec=res.TARIFF_API,
            layers=layers,
            environment={**environment, "CUSTOMS_CLASSIFIER_FUNCTION_NAME": self.classifier.function.function_name},
        )
        self.classifier.function.grant_invoke(self.api_function.function)
        classifier_id = Stack.of(self).get_logical_id(self.classifier.function.node.default_child)
        Validations.of(self.api_function.function).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{classifier_id}.Arn>:*]",
                reason="grant_invoke covers the classifier's versions and aliases (promoted model versions); nothing else.",
            )
        )
        self.api = self._rest_api()
        self._routes_from_chalice()
        self._usage_plan()
        self._web_acl()

    def _rest_api(self) -> apigw.RestApi:
        access_logs = logs.LogGroup(self, "ApiAccessLogs", retention=logs.RetentionDays.ONE_YEAR)
        api = apigw.RestApi(
            self,
            "PublicApi",
            description="Smart Customs Cloud public tariff API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=constants.API_STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies may hold trade secrets: never log them
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=False,
                ),
                throttling_rate_limit=constants.CONTEXT_DEFAULTS["api_throttle_rate"],
                throttling_burst_limit=constants.CONTEXT_DEFAULTS["api_throttle_burst"],
            ),
        )
        api.add_request_validator("RequestValidator", validate_request_body=True, validate_request_parameters=True)
        # Errors API Gateway answers itself use the platform's JSON error shape too.
        api.add_gateway_response(
            "RouteNotFound",
            type=apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
            status_code="404",
            templates={"application/json": JSON_ERROR % ("route_not_found", '"no route for $context.httpMethod $context.path"')},
        )
        for response_type, code in ((apigw.ResponseType.DEFAULT_4_XX, "request_rejected"), (apigw.ResponseType.DEFAULT_5_XX, "gateway_error")):
            api.add_gateway_response(
                code, type=response_type, templates={"application/json": JSON_ERROR % (code, "$context.error.messageString")}
            )
        Validations.of(api).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                reason="API Gateway's account-level CloudWatch role; the managed policy is the documented way to grant it.",
            )
        )
        return api

    def _routes_from_chalice(self) -> None:
        from functions.tariff_api.app import app as chalice_app

        integration = apigw.LambdaIntegration(self.api_function.function, proxy=True)
        for path, methods in sorted(chalice_app.routes.items()):
            resource = self.api.root.resource_for_path(path)
            cors = any(entry.cors for entry in methods.values())
            if cors:
                resource.add_cors_preflight(allow_origins=apigw.Cors.ALL_ORIGINS, allow_methods=sorted(methods))
            for method, entry in sorted(methods.items()):
                api_method = resource.add_method(method, integration, api_key_required=entry.api_key_required)
                # Authentication happens in the function (API key hash or Cognito JWT via JWKS, see
                # customs.identity), so anonymous public use, API clients and officers share one route.
                Validations.of(api_method).acknowledge(
                    Acknowledgment(id="AwsSolutions-APIG4", reason="Public tariff information; callers are authenticated in code (API key or Cognito JWT)."),
                    Acknowledgment(id="AwsSolutions-COG4", reason="Cognito JWTs are verified in code against the user pool JWKS, so API keys and JWTs share one route."),
                )
            if cors:
                options = resource.node.try_find_child("OPTIONS")
                if options is not None:
                    Validations.of(options).acknowledge(
                        Acknowledgment(id="AwsSolutions-APIG4", reason="CORS preflight must be answered without credentials."),
                        Acknowledgment(id="AwsSolutions-COG4", reason="CORS preflight must be answered without credentials."),
                    )

    def _usage_plan(self) -> None:
        plan = self.api.add_usage_plan(
            "PublicUsagePlan",
            name=f"{constants.PROJECT}-public",
            description="API clients of the public tariff API",
            throttle=apigw.ThrottleSettings(
                rate_limit=constants.CONTEXT_DEFAULTS["api_throttle_rate"], burst_limit=constants.CONTEXT_DEFAULTS["api_throttle_burst"]
            ),
            quota=apigw.QuotaSettings(limit=constants.CONTEXT_DEFAULTS["api_quota_per_day"], period=apigw.Period.DAY),
        )
        plan.add_api_stage(stage=self.api.deployment_stage)
        self.usage_plan = plan

    def _web_acl(self) -> None:
        def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(vendor_name="AWS", name=name)
                ),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True),
            )

        rate_limit = wafv2.CfnWebACL.RuleProperty(
            name="RatePerIp",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(limit=2000, aggregate_key_type="IP")
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(cloud_watch_metrics_enabled=True, metric_name="RatePerIp", sampled_requests_enabled=True),
        )
        acl = wafv2.CfnWebACL(
            self,
            "ApiWebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(cloud_watch_metrics_enabled=True, metric_name="PublicApi", sampled_requests_enabled=True),
            rules=[rate_limit, managed("AWSManagedRulesCommonRuleSet", 1), managed("AWSManagedRulesKnownBadInputsRuleSet", 2)],
        )
        stage = self.api.deployment_stage
        wafv2.CfnWebACLAssociation(
            self,
            "ApiWebAclAssociation",
            resource_arn=f"arn:{Stack.of(self).partition}:apigateway:{Stack.of(self).region}::/restapis/{self.api.rest_api_id}/stages/{stage.stage_name}",
            web_acl_arn=acl.attr_arn,
        )
