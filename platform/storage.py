"""Where uploaded files live: the instance folder by default, S3-compatible storage when
configured (AUTOPROCES_S3_BUCKET). Keys are made by the app, never taken from a user.

Files are not in the database transaction, so the session bookkeeping below keeps the two
in step: a file written in a transaction that rolls back is removed again, and a file whose
row is deleted is removed only once that deletion has been committed.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

CHUNK = 64 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StorageError(Exception):
    """The storage could not be reached or refused the operation."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> Iterator[bytes]:
        """The file in chunks; StorageError when it is missing."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file; a missing file is not an error."""
        ...

    def exists(self, key: str) -> bool: ...


def _checked(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Files under one folder; written to a temporary name first, so a reader never sees half."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> Iterator[bytes]:
        try:
            f = self._path(key).open("rb")
        except FileNotFoundError as e:
            raise StorageError(f"missing: {key}") from e
        return _chunks(f)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def _chunks(f: Any) -> Iterator[bytes]:
    with f:
        while chunk := f.read(CHUNK):
            yield chunk


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, Ceph, …) through boto3."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            # Path-style addressing works with every S3-compatible server.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
            )
        except (BotoCoreError, ClientError) as e:
            raise StorageError(str(e)) from e

    def read(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except (BotoCoreError, ClientError) as e:
            raise StorageError(str(e)) from e
        return _chunks(body)

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as e:
            raise StorageError(str(e)) from e

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(str(e)) from e
        return True


def init_app(app: Flask, settings: Any) -> None:
    """The app's storage, from its settings (tests may replace it in app.extensions)."""
    storage: Storage
    if settings.s3_bucket:
        storage = S3Storage(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    else:
        storage = LocalStorage(Path(app.instance_path) / "files")
    app.extensions["autoproces.storage"] = storage


def storage() -> Storage:
    return current_app.extensions["autoproces.storage"]


# --- Keeping files and rows in step ----------------------------------------------------------

_WRITTEN = "autoproces.storage.written"
_DOOMED = "autoproces.storage.doomed"


def put_in_transaction(session: Session, key: str, data: bytes, content_type: str) -> None:
    """Store a file that belongs to rows written in `session`'s transaction."""
    store = storage()
    session.connection()  # begin now, so the transaction's end is sure to undo the file
    store.put(key, data, content_type)
    session.info.setdefault(_WRITTEN, []).append((store, key))


def delete_after_commit(session: Session, key: str) -> None:
    """Remove a file once the deletion of its row has been committed."""
    session.connection()
    session.info.setdefault(_DOOMED, []).append((storage(), key))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for store, key in session.info.pop(_DOOMED, []):
        try:
            store.delete(key)
        except StorageError:
            # The row is gone; an unreachable store leaves an orphan file, never a dangling row.
            current_app.logger.warning("could not delete stored file %s", key)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outermost transaction decides
    # Still listed here means the transaction did not commit (after_commit has emptied it).
    session.info.pop(_DOOMED, None)
    for store, key in session.info.pop(_WRITTEN, []):
        try:
            store.delete(key)
        except StorageError:
            current_app.logger.warning("could not remove stored file %s after rollback", key)
