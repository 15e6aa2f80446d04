"""Assertions on the synthesized CloudFormation template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aws_cdk.assertions import Match

from infra_cdk import resources as res
from tests.infra.conftest import of_type


def test_resource_counts_follow_the_declarative_definition(template):
    template.resource_count_is("AWS::DynamoDB::Table", len(res.TABLES))
    template.resource_count_is("AWS::SQS::Queue", 2 * len(res.QUEUES))  # each queue has its DLQ
    template.resource_count_is("AWS::S3::Bucket", len(res.BUCKETS) + 2)  # + the access-log and web-site buckets
    template.resource_count_is("AWS::Lambda::EventSourceMapping", sum(1 for q in res.QUEUES if q.consumer))


def test_every_bucket_is_encrypted_private_and_tls_only(resources):
    buckets = of_type(resources, "AWS::S3::Bucket")
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], logical_id
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True
        }
    policies = of_type(resources, "AWS::S3::BucketPolicy")
    tls_only = {
        p["Properties"]["Bucket"]["Ref"]
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    }
    assert tls_only == set(buckets)


def test_every_queue_is_encrypted_tls_only_and_has_a_dlq(resources):
    queues = of_type(resources, "AWS::SQS::Queue")
    with_redrive = [q for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert len(with_redrive) == len(res.QUEUES)
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    tls_only = {
        ref["Ref"]
        for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for ref in p["Properties"]["Queues"]
    }
    assert tls_only == set(queues)


def test_tables_are_encrypted_with_point_in_time_recovery(resources):
    for table in of_type(resources, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_sqs_consumers_report_batch_item_failures_and_visibility_covers_six_timeouts(resources):
    functions = of_type(resources, "AWS::Lambda::Function")
    queues = of_type(resources, "AWS::SQS::Queue")
    for mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        queue = queues[props["EventSourceArn"]["Fn::GetAtt"][0]]
        function = functions[props["FunctionName"]["Ref"]]
        assert queue["Properties"]["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]


def test_classifier_is_a_container_image_function(template):
    template.has_resource_properties("AWS::Lambda::Function", {"PackageType": "Image", "MemorySize": res.CLASSIFIER.memory_mb})


def test_functions_are_traced_and_log_to_retained_groups(resources):
    for logical_id, function in of_type(resources, "AWS::Lambda::Function").items():
        if any(helper in logical_id for helper in ("BucketNotificationsHandler", "CustomResourceProvider", "CDKBucketDeployment")):
            continue  # CDK's own deploy-time helpers
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}, logical_id
        assert "LoggingConfig" in function["Properties"], logical_id


def _statements(resources, policy_name_fragment: str) -> list[dict]:
    return [
        s
        for logical_id, p in of_type(resources, "AWS::IAM::Policy").items()
        if policy_name_fragment in logical_id
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_no_policy_grants_every_action(resources):
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert "*" not in actions and not any(a.endswith(":*") for a in actions), statement


def test_api_function_may_only_invoke_the_classifier_read_api_keys_keep_sessions_and_export(resources):
    actions = set()
    for statement in _statements(resources, "ApiFunction"):
        actions.update(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    assert actions - {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} == {
        "lambda:InvokeFunction",
        "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
        "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:Query", "dynamodb:Scan",
        "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
    }
    # ... and writes go to the sessions table only
    tables = {r["Properties"].get("TableName") or k: k for k, r in of_type(resources, "AWS::DynamoDB::Table").items()}
    for statement in _statements(resources, "ApiFunction"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "dynamodb:PutItem" in actions:
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all("classificationsessions" in json.dumps(t).lower() for t in targets), targets


def test_api_routes_are_generated_from_the_chalice_app(resources):
    from functions.tariff_api.app import app

    methods = {
        m["Properties"]["HttpMethod"]
        for m in of_type(resources, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] != "OPTIONS"
    }
    assert methods == {method for route in app.routes.values() for method in route}
    paths = {r["Properties"]["PathPart"] for r in of_type(resources, "AWS::ApiGateway::Resource").values()}
    for path in app.routes:
        assert set(path.strip("/").split("/")) <= paths


def test_unknown_routes_answer_404_in_the_platform_error_shape(template):
    template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {"ResponseType": "MISSING_AUTHENTICATION_TOKEN", "StatusCode": "404", "ResponseTemplates": {"application/json": Match.string_like_regexp("route_not_found")}},
    )


def test_public_api_has_usage_plan_throttling_and_waf(template):
    template.has_resource_properties("AWS::ApiGateway::UsagePlan", {"Throttle": {"RateLimit": Match.any_value(), "BurstLimit": Match.any_value()}})
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_hybrid_link_is_a_vpn_into_an_isolated_vpc_with_flow_logs(template):
    template.resource_count_is("AWS::EC2::VPNConnection", 1)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    template.resource_count_is("AWS::EC2::FlowLog", 1)
    template.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "ServiceName": Match.string_like_regexp("sqs")})


def test_cognito_requires_mfa_and_has_role_groups(template):
    template.has_resource_properties("AWS::Cognito::UserPool", {"MfaConfiguration": "ON"})
    template.resource_count_is("AWS::Cognito::UserPoolGroup", 2)


def test_cfn_lint_reports_no_errors(synthesized):
    _, _, template_file = synthesized
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "error", str(template_file)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_classifier_loads_promoted_models_read_only(resources):
    classifier = next(f for k, f in of_type(resources, "AWS::Lambda::Function").items() if f["Properties"].get("PackageType") == "Image" and "Classifier" in k)
    assert classifier["Properties"]["Environment"]["Variables"]["CUSTOMS_MODEL_SOURCE"] == "promoted"
    s3_actions = {
        a
        for s in _statements(resources, "ClassifierFunction")
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        if a.startswith("s3:")
    }
    assert s3_actions and not any(a.startswith(("s3:Put", "s3:Delete")) for a in s3_actions)
