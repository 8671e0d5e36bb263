"""S3 settings and not-found handling, against botocore's stubber (no server)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from memotune import S3ObjectStore, S3Settings


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = S3Settings.from_env(
        {"MEMOTUNE_S3_ENDPOINT": "http://127.0.0.1:7070", "MEMOTUNE_S3_PREFIX": "t1/", "AWS_ACCESS_KEY_ID": "k",
         "AWS_SECRET_ACCESS_KEY": "s"}
    )
    # Keys are not copied: boto3's credential chain reads AWS_ACCESS_KEY_ID & co. itself.
    assert settings == S3Settings("http://127.0.0.1:7070", "memotune", "t1/", region="us-east-1", force_path_style=True)
    # Nothing configured and no local stack in the state folder.
    with pytest.raises(ValueError, match="MEMOTUNE_S3_BUCKET"):
        S3Settings.from_env({"MEMOTUNE_STATE_DIR": str(tmp_path)})


def test_aws_s3_needs_only_a_bucket_and_takes_the_region_chain() -> None:
    settings = S3Settings.from_env({"MEMOTUNE_S3_BUCKET": "team-cache", "AWS_REGION": "eu-west-1"})
    assert settings == S3Settings(None, "team-cache", "", region="eu-west-1", force_path_style=False)
    store = S3ObjectStore.from_settings(settings)
    assert store._client.meta.region_name == "eu-west-1"
    assert store._client.meta.config.s3["addressing_style"] == "auto"
    assert store._client.meta.config.request_checksum_calculation == "when_required"


def test_malformed_settings_name_the_variable() -> None:
    with pytest.raises(ValueError, match="MEMOTUNE_S3_FORCE_PATH_STYLE"):
        S3Settings.from_env({"MEMOTUNE_S3_BUCKET": "b", "MEMOTUNE_S3_FORCE_PATH_STYLE": "sometimes"})
    with pytest.raises(ValueError, match="MEMOTUNE_S3_ENDPOINT"):
        S3Settings.from_env({"MEMOTUNE_S3_ENDPOINT": "127.0.0.1:7070"})


@pytest.fixture
def stubbed() -> tuple[S3ObjectStore, Stubber]:
    store = S3ObjectStore.from_settings(S3Settings("http://127.0.0.1:1", "bucket", "pre/", "k", "s"))
    client = store._client
    assert client.meta.config.s3["addressing_style"] == "path"
    assert client.meta.config.request_checksum_calculation == "when_required"
    assert client.meta.config.response_checksum_validation == "when_required"
    return store, Stubber(client)


def test_keys_are_prefixed_and_missing_objects_are_none(stubbed: tuple[S3ObjectStore, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_client_error("get_object", "NoSuchKey", http_status_code=404,
                             expected_params={"Bucket": "bucket", "Key": "pre/outputs/k/meta.json"})
    stubber.add_response("get_object", {"Body": StreamingBody(io.BytesIO(b"{}"), 2)},
                         expected_params={"Bucket": "bucket", "Key": "pre/x"})
    stubber.add_response("put_object", {}, expected_params={"Bucket": "bucket", "Key": "pre/y", "Body": b"1",
                                                            "ContentType": "application/json"})
    stubber.add_client_error("get_object", "AccessDenied", http_status_code=403)
    with stubber:
        assert store.get("outputs/k/meta.json") is None
        assert store.get("x") == b"{}"
        store.put("y", b"1", "application/json")
        with pytest.raises(Exception, match="AccessDenied"):
            store.get("z")


def test_files_are_uploaded_streamed_under_the_prefix(tmp_path: Path) -> None:
    calls: list[tuple[str, str, dict[str, str]]] = []

    class Client:
        def upload_fileobj(self, file: io.BufferedReader, bucket: str, key: str, ExtraArgs: dict[str, str], Config: object) -> None:
            assert not isinstance(file, bytes) and file.read() == b"data"
            calls.append((bucket, key, ExtraArgs))

    (tmp_path / "f").write_bytes(b"data")
    S3ObjectStore(Client(), "bucket", "pre/").put_file("k", tmp_path / "f", "application/octet-stream")
    assert calls == [("bucket", "pre/k", {"ContentType": "application/octet-stream"})]


def test_the_start_up_description_hides_a_credential_in_the_endpoint() -> None:
    plain = S3ObjectStore.from_settings(S3Settings(bucket="b", endpoint="http://127.0.0.1:9000", prefix="p/"))
    assert plain.describe() == "s3://b/p/ at http://127.0.0.1:9000"
    secret = S3ObjectStore.from_settings(
        S3Settings(bucket="b", endpoint="http://user:PASS-SECRET@127.0.0.1:9000", prefix="p/")
    )
    assert secret.describe() == "s3://b/p/ at http://***:***@127.0.0.1:9000"
