"""The S3 object store, configured like the TypeScript side (src/storage/s3-object-store.ts):
path-style addressing, region us-east-1, checksums only when an operation demands them — so it
works against any S3-compatible server (versitygw, MinIO) as well as AWS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from .store import BodySource

# Multipart uploads of large outputs use a few threads: the machine may have only two cores. Parts
# are 8 MiB (s3transfer's default, the TypeScript store's too), and a streamed body keeps at most
# six of them in memory (s3transfer's default of ten would allow 80 MiB).
_TRANSFER = TransferConfig(max_concurrency=4)
_TRANSFER.max_in_memory_upload_chunks = 6


@dataclass(frozen=True)
class S3Settings:
    endpoint: str
    bucket: str = "memotune"
    prefix: str = ""
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str = "us-east-1"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> S3Settings:
        """Reads MEMOTUNE_S3_ENDPOINT (required), MEMOTUNE_S3_BUCKET, MEMOTUNE_S3_PREFIX and the
        AWS key pair, the same variables the TypeScript CLI reads.

        Raises:
            ValueError: when MEMOTUNE_S3_ENDPOINT is not set.
        """
        endpoint = env.get("MEMOTUNE_S3_ENDPOINT")
        if not endpoint:
            raise ValueError(
                "no S3 server configured: set MEMOTUNE_S3_ENDPOINT (and AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
            )
        return cls(
            endpoint=endpoint,
            bucket=env.get("MEMOTUNE_S3_BUCKET") or "memotune",
            prefix=env.get("MEMOTUNE_S3_PREFIX", ""),
            access_key_id=env.get("AWS_ACCESS_KEY_ID"),
            secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
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

    @classmethod
    def from_settings(cls, settings: S3Settings) -> S3ObjectStore:
        client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            config=Config(
                s3={"addressing_style": "path"},
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
