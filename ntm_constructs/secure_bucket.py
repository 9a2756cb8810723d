"""An S3 bucket with the stack's security defaults."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


class SecureBucket(Construct):
    """S3 bucket that is encrypted, TLS-only, private, versioned and retained.

    Defaults: SSE-S3 encryption (SSE-KMS with `encryption_key`), all public access
    blocked, bucket-owner-enforced object ownership, TLS 1.2 or newer required,
    versioning on, server access logs to `access_logs_bucket` under
    `access_logs_prefix`, `RemovalPolicy.RETAIN` so `cdk destroy` keeps the data,
    EventBridge notifications off unless `event_bridge_enabled=True`.
    Without `access_logs_bucket` the bucket logs nowhere; only the access-log
    bucket itself is built that way.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        access_logs_bucket: s3.IBucket | None,
        access_logs_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        event_bridge_enabled: bool = False,
        noncurrent_version_expiration_days: int | None = None,
    ) -> None:
        super().__init__(scope, id_)
        # Access-log delivery is granted by bucket policy, never by the ACL that
        # bucket-owner-enforced ownership forbids, whatever feature flags the app sets.
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)

        lifecycle_rules = [s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(7))]
        if noncurrent_version_expiration_days is not None:
            lifecycle_rules.append(
                s3.LifecycleRule(noncurrent_version_expiration=Duration.days(noncurrent_version_expiration_days))
            )

        self.s3_bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=encryption_key is not None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=access_logs_prefix,
            event_bridge_enabled=event_bridge_enabled,
            lifecycle_rules=lifecycle_rules,
            removal_policy=RemovalPolicy.RETAIN,
        )
