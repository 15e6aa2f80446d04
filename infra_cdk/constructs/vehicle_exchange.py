"""Cross-agency vehicle information exchange: the consumer of the agencies' inbound queues, and the queue
policies that make each agency's queues its own.

Each agency sends to its inbound queue ``vehicles_in_<agency>`` and reads replies and pushes from its reply queue
``vehicles_out_<agency>`` (both with DLQs, declared in ``infra_cdk/resources.py``). The queue policies admit that
agency's AWS principal only (CDK context ``vehicle_agency_principals``: ``{"mvr": "arn:aws:iam::…:role/…", …}``;
placeholders until configured) and deny every other account. The function's grants are exactly what it calls.
"""

from __future__ import annotations

import json

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk import resources as res
from infra_cdk.constructs.platform_resources import PlatformResources
from infra_cdk.constructs.service_function import ServiceFunction, SharedLayers

CONTEXT_KEY = "vehicle_agency_principals"
TABLES = ("vehicles", "vehicle_audit", "vehicle_subscriptions", "idempotency")
# Placeholders (documentation-range account ids) until the agencies' real principals are configured.
PLACEHOLDER_PRINCIPALS = {
    agency: f"arn:aws:iam::{str(n) * 12}:role/{agency}-vehicle-exchange" for n, agency in enumerate(res.VEHICLE_AGENCIES, start=1)
}
SEND_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
RECEIVE_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]


def agency_principals(scope: Construct) -> dict[str, str]:
    """Agency id → AWS principal ARN from the CDK context (a dict, or its JSON with ``-c``), else placeholders."""
    configured = Stack.of(scope).node.try_get_context(CONTEXT_KEY) or {}
    if isinstance(configured, str):
        configured = json.loads(configured)
    unknown = set(configured) - set(res.VEHICLE_AGENCIES)
    if unknown:
        raise ValueError(f"{CONTEXT_KEY} names unknown agencies: {sorted(unknown)}")
    return {agency: configured.get(agency) or PLACEHOLDER_PRINCIPALS[agency] for agency in res.VEHICLE_AGENCIES}


class VehicleExchange(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state: PlatformResources,
        layers: SharedLayers,
    ) -> None:
        super().__init__(scope, construct_id)
        self.principals = agency_principals(self)
        # Only the names of what it uses (ten queue URLs would crowd every other function's 4 KB environment).
        environment = {res.env_var("TABLE", t): state.tables[t].table_name for t in TABLES}
        environment.update(
            {res.env_var("QUEUE", q): state.queues[q].queue_url for a in res.VEHICLE_AGENCIES for q in (f"vehicles_in_{a}", f"vehicles_out_{a}")}
        )
        self.exchange = ServiceFunction(self, "Exchange", spec=res.VEHICLE_EXCHANGE, layers=layers, environment=environment)
        function = self.exchange.function
        # Least privilege: the calls the adapters make, nothing more (no Scan, no BatchWrite).
        state.tables["vehicles"].grant(function, "dynamodb:GetItem", "dynamodb:PutItem")  # read, conditional put (version)
        state.tables["vehicle_audit"].grant(function, "dynamodb:PutItem")  # append-only: no update, no delete
        state.tables["vehicle_subscriptions"].grant(function, "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem")
        state.tables["idempotency"].grant(
            function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
        )  # Powertools idempotency records
        # (Receiving from the inbound queues is granted by their event source mappings, composed in the stack.)
        for agency, principal_arn in self.principals.items():
            inbound, reply = state.queues[f"vehicles_in_{agency}"], state.queues[f"vehicles_out_{agency}"]
            reply.grant_send_messages(function)
            self._admit_only(inbound, principal_arn, SEND_ACTIONS)
            self._admit_only(reply, principal_arn, RECEIVE_ACTIONS)

    @staticmethod
    def _admit_only(queue: sqs.Queue, principal_arn: str, actions: list[str]) -> None:
        """Allow the agency's principal; deny every principal of any other account (this account's own roles
        still need an IAM grant: the function's, or an operator's for ``scripts/replay_dlq.py``)."""
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AgencyPrincipalOnly", effect=iam.Effect.ALLOW, principals=[iam.ArnPrincipal(principal_arn)], actions=actions, resources=[queue.queue_arn]
            )
        )
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NoOtherAccount",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=actions,
                resources=[queue.queue_arn],
                conditions={"StringNotEquals": {"aws:PrincipalArn": principal_arn, "aws:PrincipalAccount": Aws.ACCOUNT_ID}},
            )
        )
