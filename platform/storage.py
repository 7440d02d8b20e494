"""Where uploaded files live: the instance folder by default, S3-compatible storage when
configured (AUTOPROCES_S3_BUCKET). Keys are made by the app, never taken from a user.

Files are not in the database transaction, so the session bookkeeping below keeps the two
in step: a file written in a transaction that rolls back is removed again, and a file whose
row is deleted is removed only once that deletion has been committed.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

CHUNK = 64 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StorageError(Exception):
    """The storage could not be reached or refused the operation."""


class StorageMissing(StorageError):
    """The storage answers, but has no file under the key."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def put_file(self, key: str, source: IO[bytes], content_type: str) -> None:
        """Like put, from an open file read in chunks (a large export archive)."""
        ...

    def read(self, key: str) -> Iterator[bytes]:
        """The file in chunks; StorageError when it is missing."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file; a missing file is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key that starts with `prefix` (a folder: ends with "/")."""
        ...


def delete_prefix(store: Storage, prefix: str) -> int:
    """Remove every file under `prefix` (a municipality's folder at offboarding)."""
    _checked(prefix.rstrip("/"))
    count = 0
    for key in list(store.keys(prefix)):
        store.delete(key)
        count += 1
    return count


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
        self.put_file(key, io.BytesIO(data), content_type)

    def put_file(self, key: str, source: IO[bytes], content_type: str) -> None:
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(source, f, CHUNK)
            os.replace(tmp, path)
        except OSError as e:  # a full disk, a read-only volume, permissions
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise StorageError(str(e)) from e

    def read(self, key: str) -> Iterator[bytes]:
        try:
            f = self._path(key).open("rb")
        except FileNotFoundError as e:
            raise StorageMissing(key) from e
        except OSError as e:
            raise StorageError(str(e)) from e
        return _chunks(f)

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as e:
            raise StorageError(str(e)) from e

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str) -> Iterator[str]:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return iter(())
        return (
            str(p.relative_to(self.root))
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".upload-")
        )


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
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._options = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
        }
        self._client: Any = None
        self._client_pid: int | None = None
        self._lock = threading.Lock()  # boto3's client factory is not thread-safe

    @property
    def client(self) -> Any:
        """This process's client: its connection pool must not survive into a forked worker."""
        with self._lock:
            return self._process_client()

    def _process_client(self) -> Any:
        if self._client is None or self._client_pid != os.getpid():
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "s3",
                **self._options,
                # Path-style addressing works with every S3-compatible server.
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
            )
            self._client_pid = os.getpid()
        return self._client

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

    def put_file(self, key: str, source: IO[bytes], content_type: str) -> None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:  # multipart for large files, in chunks: never the whole file in memory
            self.client.upload_fileobj(
                source, self.bucket, self._key(key), ExtraArgs={"ContentType": content_type}
            )
        except (BotoCoreError, ClientError, S3UploadFailedError) as e:
            raise StorageError(str(e)) from e

    def read(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise StorageMissing(key) from e
            raise StorageError(str(e)) from e
        except BotoCoreError as e:
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

    def keys(self, prefix: str) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix.rstrip("/")) + "/"
            )
            found = [o["Key"] for page in pages for o in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as e:
            raise StorageError(str(e)) from e
        return (key[len(self.prefix) :] for key in found)


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
        root = settings.files_path or Path(app.instance_path) / "files"
        storage = LocalStorage(root)
        if not settings.demo and settings.files_path is None:
            # Several web processes on several machines would each see only their own files.
            app.logger.warning(
                "attachments are stored in %s; with more than one server, set "
                "AUTOPROCES_S3_BUCKET or AUTOPROCES_FILES_PATH to shared storage",
                root,
            )
    app.extensions["autoproces.storage"] = storage


def storage() -> Storage:
    return current_app.extensions["autoproces.storage"]


# --- Keeping files and rows in step ----------------------------------------------------------
#
# Each transaction (savepoints included) keeps its own lists: files it wrote, and files to
# remove once it commits. A released savepoint hands its lists to its parent; a savepoint
# rolled back undoes its own files; only the outermost commit removes files for good, and
# an outermost transaction that ends without committing removes every file it wrote.

_PENDING = "autoproces.storage.pending"


@dataclass
class _Pending:
    written: list[tuple[Storage, str]] = field(default_factory=list)
    doomed: list[tuple[Storage, str]] = field(default_factory=list)
    released: bool = False


def _pending(session: Session, transaction: Any) -> _Pending:
    return session.info.setdefault(_PENDING, {}).setdefault(transaction, _Pending())


def _current(session: Session) -> Any:
    session.connection()  # begin now, so the transaction's end is sure to be seen
    return session.get_nested_transaction() or session.get_transaction()


def put_in_transaction(
    session: Session, key: str, data: bytes | IO[bytes], content_type: str
) -> None:
    """Store a file (bytes, or an open file) that belongs to rows written in `session`'s
    transaction."""
    store = storage()
    pending = _pending(session, _current(session))
    if isinstance(data, bytes):
        store.put(key, data, content_type)
    else:
        store.put_file(key, data, content_type)
    pending.written.append((store, key))


def delete_after_commit(session: Session, key: str) -> None:
    """Remove a file once the deletion of its row has been committed."""
    _pending(session, _current(session)).doomed.append((storage(), key))


def _remove(files: list[tuple[Storage, str]], why: str) -> None:
    for store, key in files:
        try:
            store.delete(key)
        except Exception:  # noqa: BLE001 - the database has decided; a stray file is only logged
            current_app.logger.warning("could not remove stored file %s (%s)", key, why)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.get(_PENDING) or {}
    if session.in_nested_transaction():
        # A savepoint released: its parent inherits its lists (after_transaction_end).
        transaction = session.get_nested_transaction()
        if transaction in pending:
            pending[transaction].released = True
        return
    root = pending.pop(session.get_transaction(), None)
    if root is not None:
        root.written.clear()  # committed: the files stay
        _remove(root.doomed, "deleted")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    pending = session.info.get(_PENDING)
    if not pending or transaction not in pending:
        return
    mine = pending.pop(transaction)
    if transaction.parent is not None and mine.released:
        parent = _pending(session, transaction.parent)
        parent.written += mine.written
        parent.doomed += mine.doomed
        return
    # Rolled back (a savepoint or the whole transaction): its files go, its deletions don't.
    _remove(mine.written, "rolled back")
