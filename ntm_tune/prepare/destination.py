"""Destinations of a prepared dataset version: a local folder or an S3 prefix, never an existing one.

A dataset is first written into a staging folder. Publishing moves it into place only
after everything, the manifest last, was written, so rejected input leaves nothing at
the destination.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ntm_spec.dataset import DATASETS_PREFIX, MANIFEST_NAME, NAME_PATTERN, SHARD_SUFFIX
from ntm_tune.errors import UsageError

S3_SCHEME = "s3://"
# A single PutObject request takes at most 5 GiB.
MAX_PUT_OBJECT_BYTES = 5 * 1024**3
_CONTENT_TYPES = {SHARD_SUFFIX: "application/x-recordio-protobuf", ".txt": "text/plain; charset=utf-8"}
_NEW_VERSION_FIX = "Choose a new version, because a published dataset version is never overwritten"


@dataclass(frozen=True)
class LocalDestination:
    """A local folder that becomes the dataset version folder."""

    path: Path

    def __str__(self) -> str:
        return str(self.path)

    def check_available(self) -> None:
        """Raise UsageError when the path is a file, a folder that contains anything, or the working folder.

        The dataset is moved into place by renaming a staging folder over the path, which
        the working folder and its parents cannot take.
        """
        working_folder = Path.cwd().resolve()
        resolved = self.path.resolve()
        if resolved == working_folder or resolved in working_folder.parents:
            raise UsageError(
                f"{self.path}: the destination is the working folder or contains it. "
                "Pass the path of a new folder for the dataset version, such as data/NAME/VERSION"
            )
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"{self.path}: the destination is a file. Pass a folder path for the dataset version")
        if self.path.is_dir() and any(self.path.iterdir()):
            raise UsageError(f"{self.path}: the destination folder is not empty. {_NEW_VERSION_FIX}")

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """Yield a staging folder on the destination's file system and remove what is left of it."""
        ancestor = self.path.absolute().parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".partial", dir=ancestor))
        # mkdtemp creates the folder readable by its owner only; the published
        # dataset gets the permissions of any folder made under the user's umask.
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def publish(self, staging: Path) -> str:
        """Rename the staging folder to the destination in one step and return the manifest's path."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # On POSIX, rename replaces an empty folder and fails if it has gained files meanwhile.
            os.rename(staging, self.path)
        except OSError as error:
            raise UsageError(
                f"{self.path}: the dataset could not be moved into place ({error}). {_NEW_VERSION_FIX}"
            ) from None
        return str(self.path / MANIFEST_NAME)


@dataclass(frozen=True)
class S3Destination:
    """The prefix `datasets/NAME/VERSION/` in an S3 bucket, which the tuning workflow watches."""

    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}"

    def check_available(self) -> None:
        """Raise UsageError when any object exists under the prefix."""
        with _s3_errors(self):
            listing = _s3_client().list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        if listing.get("KeyCount", 0):
            raise UsageError(f"{self}: the dataset version already has objects. {_NEW_VERSION_FIX}")

    @contextmanager
    def staging(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="ntm-tune-prepare-") as staging:
            yield Path(staging)

    def publish(self, staging: Path) -> str:
        """Upload every file, the manifest last, and return the manifest's S3 URI.

        Each upload is conditional (If-None-Match: *), so an object that appeared since
        `check_available` is never replaced. On failure, the objects uploaded so far are
        deleted, so that no partial version remains.
        """
        manifest = staging / MANIFEST_NAME
        files = sorted(path for path in staging.rglob("*") if path.is_file() and path != manifest)
        for path in files:
            if path.stat().st_size > MAX_PUT_OBJECT_BYTES:
                raise UsageError(
                    f"{path.relative_to(staging).as_posix()}: the shard is larger than the 5 GiB that one S3 upload "
                    "takes. Lower --records-per-shard"
                )

        client = _s3_client()
        uploaded: list[str] = []
        try:
            for path in [*files, manifest]:
                key = self.prefix + path.relative_to(staging).as_posix()
                with _s3_errors(self), path.open("rb") as body:
                    client.put_object(
                        Bucket=self.bucket,
                        Key=key,
                        Body=body,
                        ContentType=_CONTENT_TYPES.get(path.suffix, "application/json"),
                        IfNoneMatch="*",
                    )
                uploaded.append(key)
        except BaseException as error:
            self._delete_after_failure(client, uploaded, error)
            raise
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}{MANIFEST_NAME}"

    def _delete_after_failure(self, client, keys: list[str], failure: BaseException) -> None:
        """Delete the objects of a failed upload; raise UsageError naming them if that fails too."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for start in range(0, len(keys), 1000):
                batch = [{"Key": key} for key in keys[start : start + 1000]]
                client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        except (BotoCoreError, ClientError) as cleanup_error:
            raise UsageError(
                f"{self}: the upload failed ({failure}), and deleting its {len(keys)} objects failed too "
                f"({cleanup_error}). Delete the objects under {self.prefix} before you choose this version again"
            ) from failure


Destination = LocalDestination | S3Destination


def parse_destination(value: str) -> Destination:
    """Return the destination that DEST names; raise UsageError for a malformed S3 URI."""
    if not value.startswith(S3_SCHEME):
        if "://" in value:
            raise UsageError(f"DEST {value!r} is invalid: only local folders and s3:// URIs are supported")
        return LocalDestination(Path(value))

    bucket, _, prefix = value[len(S3_SCHEME) :].partition("/")
    parts = prefix.rstrip("/").split("/")
    if (
        not bucket
        or len(parts) != 3
        or parts[0] + "/" != DATASETS_PREFIX
        or not all(map(NAME_PATTERN.match, parts[1:]))
    ):
        raise UsageError(
            f"DEST {value!r} is invalid: an S3 destination is s3://BUCKET/datasets/NAME/VERSION/, where NAME and "
            "VERSION are 1 to 64 letters, digits, dots, hyphens and underscores, starting with a letter or digit. "
            "The tuning workflow starts a run only for manifests at that depth"
        )
    return S3Destination(bucket=bucket, prefix="/".join(parts) + "/")


def _s3_client():
    import boto3

    return boto3.client("s3")


@contextmanager
def _s3_errors(destination: S3Destination) -> Iterator[None]:
    """Turn the S3 errors that a user can fix into UsageError."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise UsageError(
            f"{destination}: no AWS credentials were found. Configure them, for example with `aws configure` "
            "or AWS_PROFILE, and run again"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            raise UsageError(
                f"{destination}: bucket {destination.bucket!r} is not found. Pass the stack's datasets bucket"
            ) from None
        if code in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise UsageError(
                f"{destination}: an object of this dataset version appeared meanwhile. {_NEW_VERSION_FIX}"
            ) from None
        raise UsageError(
            f"{destination}: the S3 request failed ({code or error}). Check access to the bucket"
        ) from None
    except BotoCoreError as error:
        raise UsageError(f"{destination}: the S3 request failed ({error}). Check the network and Region") from None
