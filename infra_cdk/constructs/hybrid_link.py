"""Hybrid link: the private connection to the on-premises data-analysis platform.

A site-to-site VPN into an isolated VPC whose interface endpoints (SQS, S3) are the only way the on-premises
platform reaches the cloud: it drains the export queue (every service's business events, for analysis and
training) and uploads model packages under ``incoming/``, which ``platform_link`` verifies and registers.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk import constants
from infra_cdk import resources as res
from infra_cdk.constructs.platform_resources import PlatformResources
from infra_cdk.constructs.service_function import ServiceFunction, SharedLayers


class HybridLink(Construct):
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
        context = {key: Stack.of(self).node.try_get_context(key) or default for key, default in constants.CONTEXT_DEFAULTS.items()}
        self.vpc = ec2.Vpc(
            self,
            "LinkVpc",
            ip_addresses=ec2.IpAddresses.cidr(context["vpc_cidr"]),
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="link", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)],
            vpn_gateway=True,
            vpn_gateway_asn=64512,
            vpn_connections={
                "OnPremises": ec2.VpnConnectionOptions(ip=context["onprem_gateway_ip"], asn=int(context["onprem_bgp_asn"]))
            },
            vpn_route_propagation=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
            restrict_default_security_group=True,
        )
        self.vpc.add_flow_log(
            "FlowLogs",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(logs.LogGroup(self, "FlowLogGroup", retention=logs.RetentionDays.ONE_YEAR)),
        )
        endpoint_sg = ec2.SecurityGroup(self, "EndpointSg", vpc=self.vpc, description="HTTPS from on-premises to the link endpoints", allow_all_outbound=False)
        endpoint_sg.add_ingress_rule(ec2.Peer.ipv4(context["onprem_cidr"]), ec2.Port.tcp(443), "on-premises platform over the VPN")
        subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.sqs_endpoint = self.vpc.add_interface_endpoint(
            "SqsEndpoint", service=ec2.InterfaceVpcEndpointAwsService.SQS, subnets=subnets, security_groups=[endpoint_sg], open=False
        )
        self.s3_endpoint = self.vpc.add_interface_endpoint(
            "S3Endpoint", service=ec2.InterfaceVpcEndpointAwsService.S3, subnets=subnets, security_groups=[endpoint_sg],
            private_dns_enabled=False, open=False,
        )

        self.intake = ServiceFunction(self, "ModelIntake", spec=res.PLATFORM_LINK, layers=layers, environment=environment)
        packages = state.buckets["model_packages"]
        packages.grant_read(self.intake.function, "incoming/*")
        packages.grant_put(self.intake.function, "promoted/*")  # verified packages are copied there, pointer last
        state.tables["model_registry"].grant_read_write_data(self.intake.function)
        state.queues["platform_export"].grant_send_messages(self.intake.function)
        Validations.of(self.intake.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Action::s3:GetBucket*]", reason="grant_read: bucket-level read actions on the one model-packages bucket."
            ),
            Acknowledgment(id="AwsSolutions-IAM5[Action::s3:GetObject*]", reason="grant_read: object reads (versions, tags) of model packages."),
            Acknowledgment(id="AwsSolutions-IAM5[Action::s3:List*]", reason="grant_read: listing the one model-packages bucket."),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(packages.node.default_child)}.Arn>/incoming/*]",
                reason="Reads only the incoming/ prefix where the on-premises platform uploads packages.",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(packages.node.default_child)}.Arn>/promoted/*]",
                reason="Writes only the promoted/ prefix: verified packages and the current-version pointer.",
            ),
            Acknowledgment(id="AwsSolutions-IAM5[Action::s3:Abort*]", reason="grant_put: aborting its own multipart uploads under promoted/."),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(state.tables['model_registry'].node.default_child)}.Arn>/index/*]",
                reason="grant_read_write_data includes the registry's own GSIs (query by status).",
            ),
        )
        self.onprem_role = self._onprem_role(context, state)

    def _onprem_role(self, context: dict, state: PlatformResources) -> iam.Role | None:
        """What the on-premises platform may do, and only through the link's endpoints."""
        principal_arn = context["onprem_principal_arn"]
        if not principal_arn:
            return None
        role = iam.Role(self, "OnPremisesPlatformRole", assumed_by=iam.ArnPrincipal(principal_arn), max_session_duration=Duration.hours(1))
        export = state.queues["platform_export"]
        packages = state.buckets["model_packages"]
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
                resources=[export.queue_arn],
                conditions={"StringEquals": {"aws:SourceVpce": self.sqs_endpoint.vpc_endpoint_id}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[packages.arn_for_objects("incoming/*")],
                conditions={"StringEquals": {"aws:SourceVpce": self.s3_endpoint.vpc_endpoint_id}},
            )
        )
        return role
