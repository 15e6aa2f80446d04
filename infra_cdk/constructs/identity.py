"""Identity: the Cognito user pool whose JWTs ``customs.identity`` verifies (officers and company users)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations, aws_cognito as cognito
from constructs import Construct

from customs.identity import COMPANY_CLAIM, GROUP_ROLES


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,  # officers and company users are provisioned, never self-registered
            sign_in_aliases=cognito.SignInAliases(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=14, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            custom_attributes={COMPANY_CLAIM.removeprefix("custom:"): cognito.StringAttribute(min_len=1, max_len=64, mutable=True)},
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for group_name in GROUP_ROLES:
            cognito.CfnUserPoolGroup(self, f"Group-{group_name}", user_pool_id=self.user_pool.user_pool_id, group_name=group_name)
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )
        Validations.of(self.user_pool).acknowledge(
            Acknowledgment(id="AwsSolutions-COG3", reason="Threat protection is enforced through the PLUS feature plan (FULL_FUNCTION).")
        )

    @property
    def issuer(self) -> str:
        return self.user_pool.user_pool_provider_url

    @property
    def jwks_url(self) -> str:
        return f"{self.user_pool.user_pool_provider_url}/.well-known/jwks.json"
