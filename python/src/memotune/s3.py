"""The S3 object store, configured like the TypeScript side (src/storage/s3-settings.ts and
s3-object-store.ts) from the same variables: path-style addressing and region us-east-1 for a
custom endpoint, checksums only when an operation demands them — so it works against any
S3-compatible server (versitygw, MinIO) as well as AWS. Credentials come from boto3's default
chain (AWS_* variables, AWS_PROFILE and ~/.aws, SSO, web identity, container and instance roles).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit, urlunsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from .local_stack import local_stack
from .store import BodySource

# Multipart uploads of large outputs use a few threads: the machine may have only two cores. Parts
# are 8 MiB (s3transfer's default, the TypeScript store's too), and a streamed body keeps at most
# six of them in memory (s3transfer's default of ten would allow 80 MiB).
_TRANSFER = TransferConfig(max_concurrency=4)
_TRANSFER.max_in_memory_upload_chunks = 6


def _variable(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    value = _variable(env, name)
    if value is None:
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


@dataclass(frozen=True)
class S3Settings:
    endpoint: str | None = None
    """An S3-compatible server's URL; None for AWS S3."""
    bucket: str = "memotune"
    prefix: str = ""
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None
    """None: boto3's region chain (AWS_REGION, the profile); us-east-1 with an endpoint."""
    force_path_style: bool | None = None
    """Default: True with an endpoint, else False."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> S3Settings:
        """Reads MEMOTUNE_S3_BUCKET, MEMOTUNE_S3_ENDPOINT (or AWS_ENDPOINT_URL_S3 /
        AWS_ENDPOINT_URL), MEMOTUNE_S3_REGION (or AWS_REGION / AWS_DEFAULT_REGION),
        MEMOTUNE_S3_FORCE_PATH_STYLE and MEMOTUNE_S3_PREFIX: the variables the TypeScript side
        reads. Credentials are left to boto3's chain. With none of bucket and endpoint set, the
        local stack of ``memotune dev`` (its endpoint, bucket and keys), as on the TypeScript side.

        Raises:
            ValueError: when neither a bucket nor an endpoint is configured and no local stack
                runs, or a value is malformed.
        """
        endpoint = (
            _variable(env, "MEMOTUNE_S3_ENDPOINT")
            or _variable(env, "AWS_ENDPOINT_URL_S3")
            or _variable(env, "AWS_ENDPOINT_URL")
        )
        bucket = _variable(env, "MEMOTUNE_S3_BUCKET")
        if endpoint is None and bucket is None:
            # Nothing configured: the S3 server of `memotune dev`, with the keys it was started with.
            stack = local_stack(env)
            s3 = stack.get("s3") if stack is not None else None
            if not isinstance(s3, dict):
                raise ValueError(
                    "no S3 bucket configured: set MEMOTUNE_S3_BUCKET (and MEMOTUNE_S3_ENDPOINT for an S3-compatible"
                    " server), or run `memotune dev` for a local one"
                )
            return cls(
                endpoint=s3["endpoint"],
                bucket=s3["bucket"],
                prefix=env.get("MEMOTUNE_S3_PREFIX", ""),
                access_key_id=s3.get("accessKeyId"),
                secret_access_key=s3.get("secretAccessKey"),
                region="us-east-1",
                force_path_style=True,
            )
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"MEMOTUNE_S3_ENDPOINT must be an http:// or https:// URL, not {endpoint!r}")
        region = (
            _variable(env, "MEMOTUNE_S3_REGION")
            or _variable(env, "AWS_REGION")
            or _variable(env, "AWS_DEFAULT_REGION")
            or ("us-east-1" if endpoint is not None else None)
        )
        path_style = _flag(env, "MEMOTUNE_S3_FORCE_PATH_STYLE")
        return cls(
            endpoint=endpoint,
            bucket=bucket or "memotune",
            prefix=env.get("MEMOTUNE_S3_PREFIX", ""),
            region=region,
            force_path_style=endpoint is not None if path_style is None else path_style,
        )


def _is_not_found(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("NoSuchKey", "NotFound", "404") or status == 404


class S3ObjectStore:
    """An :class:`~memotune.store.ObjectStore` on one bucket, every key under ``prefix``."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix

    def describe(self) -> str:
        """Where the outputs go, for the worker's start-up line: ``s3://bucket/prefix at endpoint``."""
        endpoint = getattr(getattr(self._client, "meta", None), "endpoint_url", None)
        return f"s3://{self._bucket}/{self._prefix}" + (f" at {_without_credentials(endpoint)}" if endpoint else "")

    @classmethod
    def from_settings(cls, settings: S3Settings) -> S3ObjectStore:
        path_style = settings.endpoint is not None if settings.force_path_style is None else settings.force_path_style
        client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint,
            region_name=settings.region or ("us-east-1" if settings.endpoint else None),
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            config=Config(
                # As the TypeScript store: a connection not made in 10 s, or an answer that stops
                # coming for 2 minutes, fails the request as transient (waited out, not charged).
                connect_timeout=10,
                read_timeout=120,
                s3={"addressing_style": "path" if path_style else "auto"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        return cls(client, settings.bucket, settings.prefix)

    def get(self, key: str) -> bytes | None:
        stream = self.open(key)
        if stream is None:
            return None
        with stream:
            return stream.read()

    def open(self, key: str) -> BinaryIO | None:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._prefix + key)
        except ClientError as error:
            if _is_not_found(error):
                return None
            raise
        return cast(BinaryIO, response["Body"])

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=self._prefix + key, Body=body, ContentType=content_type)

    def put_stream(self, key: str, open_body: BodySource, content_type: str) -> None:
        """A multipart upload (one PutObject for a body under 8 MiB), completed only once the body
        was read to its end; s3transfer aborts it when reading the body raises."""
        with open_body() as body:
            self._client.upload_fileobj(
                body, self._bucket, self._prefix + key, ExtraArgs={"ContentType": content_type}, Config=_TRANSFER
            )

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        with path.open("rb") as file:
            self._client.upload_fileobj(
                file, self._bucket, self._prefix + key, ExtraArgs={"ContentType": content_type}, Config=_TRANSFER
            )


def _without_credentials(url: str) -> str:
    """``url`` with a user name, password or query in it replaced by ``***``: the start-up line is
    logged (a security review found ``http://user:PASS@host`` there)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***:***@" + netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=netloc, query="***" if parts.query else ""))
    except ValueError:
        return "(an endpoint URL that cannot be parsed)"
