"""The vehicle exchange in the template: queue policies admit only each agency's principal, the consumer reports
batch item failures, and the function's grants are exactly what it calls."""

from __future__ import annotations

import json

import aws_cdk as cdk

from infra_cdk import resources as res
from infra_cdk.constructs.vehicle_exchange import PLACEHOLDER_PRINCIPALS, RECEIVE_ACTIONS, SEND_ACTIONS, agency_principals
from tests.infra.conftest import of_type


def _queue_id(resources: dict, logical_id: str) -> str:
    prefix = "StateQueue" + logical_id.replace("_", "")
    (match,) = [k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue" and k.startswith(prefix) and not k[len(prefix):][:1].islower()]
    return match


def _policy_statements(resources: dict, queue_id: str) -> list[dict]:
    return [
        s
        for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict) -> set[str]:
    return set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])


def _exchange_function_id(resources: dict) -> str:
    (function_id,) = [k for k in of_type(resources, "AWS::Lambda::Function") if k.startswith("VehicleExchangeFunction")]
    return function_id


def test_each_inbound_queue_admits_only_its_agency_principal(resources):
    for agency in res.VEHICLE_AGENCIES:
        principal = PLACEHOLDER_PRINCIPALS[agency]
        for queue, actions in ((f"vehicles_in_{agency}", SEND_ACTIONS), (f"vehicles_out_{agency}", RECEIVE_ACTIONS)):
            statements = _policy_statements(resources, _queue_id(resources, queue))
            allows = [s for s in statements if s["Effect"] == "Allow"]
            assert [s["Principal"] for s in allows] == [{"AWS": principal}], queue
            assert _actions(allows[0]) == set(actions)
            (deny,) = [s for s in statements if s.get("Sid") == "NoOtherAccount"]
            assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"} and _actions(deny) == set(actions)
            assert deny["Condition"]["StringNotEquals"] == {"aws:PrincipalArn": principal, "aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}
            # ... and TLS only, like every queue
            assert any(s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool") == {"aws:SecureTransport": "false"} for s in statements)
    # no agency's principal appears on another agency's queues
    for agency in res.VEHICLE_AGENCIES:
        for other in set(res.VEHICLE_AGENCIES) - {agency}:
            text = json.dumps(_policy_statements(resources, _queue_id(resources, f"vehicles_in_{other}")))
            assert PLACEHOLDER_PRINCIPALS[agency] not in text


def test_agency_principals_come_from_the_cdk_context():
    app = cdk.App(context={"vehicle_agency_principals": {"mvr": "arn:aws:iam::210987654321:role/mvr-exchange"}})
    stack = cdk.Stack(app, "S")
    principals = agency_principals(stack)
    assert principals["mvr"] == "arn:aws:iam::210987654321:role/mvr-exchange"
    assert principals["police"] == PLACEHOLDER_PRINCIPALS["police"]
    as_json = cdk.App(context={"vehicle_agency_principals": json.dumps({"tax": "arn:aws:iam::111122223333:role/t"})})
    assert agency_principals(cdk.Stack(as_json, "S"))["tax"] == "arn:aws:iam::111122223333:role/t"


def test_the_exchange_consumes_every_inbound_queue_reporting_batch_item_failures(resources):
    function_id = _exchange_function_id(resources)
    mappings = {
        m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]: m["Properties"]
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    }
    assert set(mappings) == {_queue_id(resources, f"vehicles_in_{a}") for a in res.VEHICLE_AGENCIES}
    for props in mappings.values():
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    function = resources[function_id]["Properties"]
    assert function["Timeout"] == res.VEHICLE_EXCHANGE.timeout_s
    assert function["Handler"] == "functions.vehicle_exchange.handler.lambda_handler"


def test_the_exchange_has_least_privilege(resources):
    function_id = _exchange_function_id(resources)
    role = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]

    def grants(fragment: str) -> set[str]:
        found: set[str] = set()
        for s in statements:
            targets = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
            if any(fragment in json.dumps(t) for t in targets):
                found |= _actions(s)
        return found

    table_ids = {k for k in of_type(resources, "AWS::DynamoDB::Table")}
    by_table = {t: grants(f'"{t}"') for t in table_ids}
    named = {t: a for t, a in by_table.items() if a}
    assert {t.rstrip("0123456789ABCDEF") for t in named} == {"StateTablevehicles", "StateTablevehicleaudit", "StateTablevehiclesubscriptions", "StateTableidempotency"}
    for table, actions in named.items():
        if table.startswith("StateTablevehicleaudit"):
            assert actions == {"dynamodb:PutItem"}  # append-only
        elif table.startswith("StateTablevehiclesubscriptions"):
            assert actions == {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"}
        elif table.startswith("StateTablevehicles"):
            assert actions == {"dynamodb:GetItem", "dynamodb:PutItem"}
        else:
            assert actions == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    for agency in res.VEHICLE_AGENCIES:
        assert grants(_queue_id(resources, f"vehicles_out_{agency}")) == {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
        assert "sqs:SendMessage" not in grants(_queue_id(resources, f"vehicles_in_{agency}"))
    every_action = set().union(*(_actions(s) for s in statements))
    assert not every_action & {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:DeleteTable", "sqs:PurgeQueue"}
    assert all(s["Resource"] != "*" or _actions(s) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} for s in statements)


def test_only_the_exchange_learns_the_vehicle_queue_urls(resources):
    exchange_id = _exchange_function_id(resources)
    for function_id, function in of_type(resources, "AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        vehicle_queues = {k for k in variables if k.startswith("CUSTOMS_QUEUE_VEHICLES_")}
        if function_id == exchange_id:
            assert len(vehicle_queues) == 2 * len(res.VEHICLE_AGENCIES)
            assert {k for k in variables if k.startswith("CUSTOMS_TABLE_")} == {
                "CUSTOMS_TABLE_VEHICLES", "CUSTOMS_TABLE_VEHICLE_AUDIT", "CUSTOMS_TABLE_VEHICLE_SUBSCRIPTIONS", "CUSTOMS_TABLE_IDEMPOTENCY"
            }
        else:
            assert not vehicle_queues, function_id
