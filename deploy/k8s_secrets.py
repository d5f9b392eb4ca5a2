"""The Kubernetes Secrets, one per workload, each with only what that workload needs (M11).

    python -m deploy.k8s_secrets --namespace backdrop | kubectl apply -f -

prints them with fresh random passwords (NATS users, PostgreSQL roles, the URL
signing key, MinIO's keys); pass a managed datastore's credentials with
`--database-url` (the superuser's, for the db-roles Job) and `--s3-*`. Nothing
is written to disk. The manifests reference exactly these names and keys
(tests/unit/test_k8s.py checks both ways).
"""

from __future__ import annotations

import argparse
import base64
import secrets

import yaml

from deploy import nats as nats_config
from services.runtime import db, messaging

S3_KEYS = ("S3_ACCESS_KEY", "S3_SECRET_KEY")

# What each workload's Secret holds. Optional keys (an SMTP password, seed 002's static
# API key) are added by --smtp-password / --api-key.
KEYS = {
    "backdrop-gateway": ("URL_SIGNING_KEY", *S3_KEYS),
    "backdrop-orchestrator": ("DATABASE_URL", "NATS_USER", "NATS_PASSWORD", "URL_SIGNING_KEY", *S3_KEYS),
    "backdrop-inference": ("NATS_USER", "NATS_PASSWORD", *S3_KEYS),
    "backdrop-auth": ("DATABASE_URL", "URL_SIGNING_KEY", "SIGNING_KEY_PASSPHRASE"),
    "backdrop-billing": ("DATABASE_URL", "NATS_USER", "NATS_PASSWORD"),
    "backdrop-nats": tuple(nats_config.password_variable(s) for s in messaging.permissions()),
    "backdrop-postgres": ("POSTGRES_PASSWORD", "DATABASE_URL", *(f"{s.upper()}_DB_PASSWORD" for s in db.MIGRATIONS)),
    "backdrop-minio": S3_KEYS,
}


def values(database_url: str | None, s3: tuple[str, str] | None, extra: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    token = lambda: secrets.token_urlsafe(32)  # noqa: E731
    postgres_password = token()
    superuser = database_url or f"postgresql://postgres:{postgres_password}@postgres:5432/postgres"
    roles = {service: token() for service in db.MIGRATIONS}
    nats = {service: token() for service in messaging.permissions()}
    shared = {"URL_SIGNING_KEY": token(), "SIGNING_KEY_PASSPHRASE": token(), **dict(zip(S3_KEYS, s3 or (token(), token())))}
    out: dict[str, dict[str, str]] = {}
    for name, keys in KEYS.items():
        service = name.removeprefix("backdrop-")
        known = {
            **shared,
            "POSTGRES_PASSWORD": postgres_password,
            "DATABASE_URL": superuser if service == "postgres" else db.service_url(superuser, service, roles.get(service, "")),
            "NATS_USER": service,
            "NATS_PASSWORD": nats.get(service, ""),
            **{nats_config.password_variable(s): p for s, p in nats.items()},
            **{f"{s.upper()}_DB_PASSWORD": p for s, p in roles.items()},
        }
        out[name] = {key: known[key] for key in keys} | extra.get(name, {})
    return out


def manifests(namespace: str, secrets_by_name: dict[str, dict[str, str]]) -> str:
    docs = [
        {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
        }
        for name, data in secrets_by_name.items()
    ]
    return yaml.safe_dump_all(docs, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", default="backdrop")
    parser.add_argument("--database-url", help="a managed PostgreSQL's superuser URL (default: the in-cluster one)")
    parser.add_argument("--s3-access-key")
    parser.add_argument("--s3-secret-key")
    parser.add_argument("--smtp-password", help="for seed 003's notification emails (orchestrator)")
    parser.add_argument("--api-key", help="seed 002's single static key (auth)")
    args = parser.parse_args()
    s3 = (args.s3_access_key, args.s3_secret_key) if args.s3_access_key and args.s3_secret_key else None
    extra = {
        "backdrop-orchestrator": {"SMTP_PASSWORD": args.smtp_password} if args.smtp_password else {},
        "backdrop-auth": {"API_KEY": args.api_key} if args.api_key else {},
    }
    print(manifests(args.namespace, values(args.database_url, s3, extra)), end="")


if __name__ == "__main__":
    main()
