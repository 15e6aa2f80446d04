"""A development token issuer for `make run` and the tests: an RSA key, its JWKS, and tokens for a chosen role.

It stands in for the Cognito user pool, so that ``customs.identity`` verifies tokens the same way everywhere.
The private key lives under ``build/dev-issuer/`` (gitignored) and is generated on first use.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from customs.identity import COMPANY_CLAIM, GROUP_ROLES, Role

DEFAULT_KEY_DIR = Path(__file__).resolve().parents[2] / "build" / "dev-issuer"
ROLE_GROUPS = {role: group for group, role in GROUP_ROLES.items()}


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class DevIssuer:
    issuer: str
    key_dir: Path = DEFAULT_KEY_DIR

    def __post_init__(self) -> None:
        key_file = self.key_dir / "private.pem"
        if not key_file.exists():
            self.key_dir.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key_file.write_bytes(
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            )
            key_file.chmod(0o600)
        self._private_key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        public_numbers = self._private_key.public_key().public_numbers()
        self.kid = hashlib.sha256(str(public_numbers.n).encode()).hexdigest()[:16]
        self._jwk = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": _b64url_uint(public_numbers.n), "e": _b64url_uint(public_numbers.e)}

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def jwks(self) -> dict:
        return {"keys": [self._jwk]}

    def mint(self, role: Role | str = Role.CUSTOMS_OFFICER, subject: str | None = None, company_id: str | None = None, ttl_s: int = 3600) -> str:
        role = Role(role)
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "sub": subject or f"dev-{role.value}-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "exp": now + ttl_s,
            "token_use": "id",
            "cognito:groups": [ROLE_GROUPS[role]] if role in ROLE_GROUPS else [],
        }
        if company_id:
            claims[COMPANY_CLAIM] = company_id
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})


def main() -> None:  # python -m scripts.local.dev_issuer --role customs_officer
    import argparse

    from scripts.local.runtime_info import load_runtime_info

    parser = argparse.ArgumentParser(description="Mint a development JWT for the local platform started by `make run`.")
    parser.add_argument("--role", default=Role.CUSTOMS_OFFICER.value, choices=[r.value for r in (Role.CUSTOMS_OFFICER, Role.COMPANY_USER, Role.PUBLIC)])
    parser.add_argument("--company-id", default=None, help="company id claim (company users)")
    parser.add_argument("--subject", default=None)
    parser.add_argument("--ttl", type=int, default=3600)
    args = parser.parse_args()
    info = load_runtime_info()
    print(DevIssuer(info["jwt_issuer"]).mint(args.role, subject=args.subject, company_id=args.company_id, ttl_s=args.ttl))


if __name__ == "__main__":
    main()
