"""Names and settings of the deployed platform, in one place (the constructs take every name from here)."""

from __future__ import annotations

PROJECT = "customs"
STACK_NAME = "SmartCustomsCloud"
API_STAGE = "live"  # routes carry their own version prefix (/v1/...)
PYTHON_RUNTIME = "python3.11"  # the version the code is tested with (Makefile: python3.11)
LOG_RETENTION_DAYS = 365

# Hybrid link defaults; real values come from cdk.json context (or `-c key=value`).
CONTEXT_DEFAULTS = {
    "environment": "prod",
    "vpc_cidr": "10.80.0.0/20",
    "onprem_cidr": "10.10.0.0/16",
    "onprem_gateway_ip": "203.0.113.10",  # TEST-NET-3 placeholder: the administration's VPN endpoint
    "onprem_bgp_asn": 65010,
    # The on-premises platform's AWS principal (an IAM role it assumes through IAM Roles Anywhere or similar).
    "onprem_principal_arn": "",
    "api_throttle_rate": 50,
    "api_throttle_burst": 100,
    "api_quota_per_day": 100_000,
}

TAGS = {"project": "smart-customs-cloud", "owner": "customs-platform-team", "data-classification": "internal"}
