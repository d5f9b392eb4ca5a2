"""Where originals and results live: S3 (MinIO or any S3) or a local directory.

`S3_ENDPOINT` set selects S3 through the minio client; otherwise the embedded
default is a durable local directory (`OBJECT_STORE_DIR`): writes go to a
temporary file, are fsynced and renamed, so a crash never leaves half a file.
Keys are made by the services (never by clients) and checked all the same.
"""

from __future__ import annotations

import asyncio
import io
import os
import pathlib
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from typing import Protocol

from services.runtime.config import env_bool, env_str

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$")


class ObjectNotFound(KeyError):
    pass


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key.split("/") or "//" in key:
        raise ValueError(f"invalid object key {key!r}")
    return key


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def put_file(self, key: str, source: str, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes: ...
    def chunks(self, key: str, size: int) -> AsyncIterator[bytes]: ...
    async def content_type(self, key: str) -> str: ...
    async def size(self, key: str) -> int: ...
    async def delete(self, key: str) -> None: ...
    async def check(self) -> None: ...
    async def list(self, prefix: str) -> list[str]: ...


async def delete_prefix(store: ObjectStore, prefix: str) -> int:
    """Deletes every key under `prefix` (a folder, ending in "/"); returns how many."""
    keys = await store.list(prefix)
    for key in keys:
        await store.delete(key)
    return len(keys)


async def copy(store: ObjectStore, source: str, target: str) -> int:
    """`source` stored again as `target`, through a temporary file (a video is never held
    whole); returns its size in bytes."""
    content_type = await store.content_type(source)
    fd, path = tempfile.mkstemp(prefix="backdrop-copy-")
    try:
        size = 0
        with os.fdopen(fd, "wb") as sink:
            async for chunk in store.chunks(source, 1 << 20):
                await asyncio.to_thread(sink.write, chunk)
                size += len(chunk)
        await store.put_file(target, path, content_type)
        return size
    finally:
        os.unlink(path)


class LocalObjectStore:
    """A directory; the content type is kept in a sidecar file."""

    def __init__(self, root: str | os.PathLike):
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> pathlib.Path:
        return self.root / check_key(key)

    def _write(self, path: pathlib.Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            pathlib.Path(tmp).unlink(missing_ok=True)
            raise

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        self._write(path.with_name(path.name + ".content-type"), content_type.encode())
        self._write(path, data)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data, content_type)

    def _put_file(self, key: str, source: str, content_type: str) -> None:
        path = self._path(key)
        self._write(path.with_name(path.name + ".content-type"), content_type.encode())
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, path)
        except BaseException:
            pathlib.Path(tmp).unlink(missing_ok=True)
            raise

    async def put_file(self, key: str, source: str, content_type: str) -> None:
        """A file on disk stored under `key`, copied in chunks (a video upload is never held whole)."""
        await asyncio.to_thread(self._put_file, key, source, content_type)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    async def chunks(self, key: str, size: int) -> AsyncIterator[bytes]:
        """The object `size` bytes at a time, so a download never holds it whole."""
        try:
            file = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        try:
            while chunk := await asyncio.to_thread(file.read, size):
                yield chunk
        finally:
            file.close()

    async def content_type(self, key: str) -> str:
        path = self._path(key)
        try:
            return path.with_name(path.name + ".content-type").read_text()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    async def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    async def delete(self, key: str) -> None:
        path = self._path(key)
        for target in (path, path.with_name(path.name + ".content-type")):
            target.unlink(missing_ok=True)

    async def list(self, prefix: str) -> list[str]:
        """Keys under `prefix` (a folder, ending in "/"), sorted."""
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        return sorted(
            f"{prefix}{path.relative_to(folder).as_posix()}"
            for path in folder.rglob("*")
            if path.is_file() and not path.name.endswith(".content-type") and not path.name.startswith(".tmp-")
        )

    async def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"object store directory {self.root} is not writable")


class S3ObjectStore:
    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool, region: str):
        from minio import Minio

        self.bucket = bucket
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        if not self._bucket_ready:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._bucket_ready = True

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        self._ensure_bucket()
        self.client.put_object(self.bucket, check_key(key), io.BytesIO(data), len(data), content_type=content_type)

    def _open(self, key: str):
        from minio.error import S3Error

        try:
            return self.client.get_object(self.bucket, check_key(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchBucket"):
                raise ObjectNotFound(key) from None
            raise

    def _get(self, key: str) -> bytes:
        response = self._open(key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def _stat(self, key: str):
        from minio.error import S3Error

        try:
            return self.client.stat_object(self.bucket, check_key(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchBucket"):
                raise ObjectNotFound(key) from None
            raise

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data, content_type)

    def _put_file(self, key: str, source: str, content_type: str) -> None:
        self._ensure_bucket()
        self.client.fput_object(self.bucket, check_key(key), source, content_type=content_type)

    async def put_file(self, key: str, source: str, content_type: str) -> None:
        """A file on disk stored under `key`, sent in parts (a video upload is never held whole)."""
        await asyncio.to_thread(self._put_file, key, source, content_type)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)

    async def chunks(self, key: str, size: int) -> AsyncIterator[bytes]:
        """The object `size` bytes at a time, so a download never holds it whole."""
        response = await asyncio.to_thread(self._open, key)
        try:
            while chunk := await asyncio.to_thread(response.read, size):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def content_type(self, key: str) -> str:
        return (await asyncio.to_thread(self._stat, key)).content_type

    async def size(self, key: str) -> int:
        return (await asyncio.to_thread(self._stat, key)).size

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.remove_object, self.bucket, check_key(key))

    def _list(self, prefix: str) -> list[str]:
        self._ensure_bucket()
        return sorted(o.object_name for o in self.client.list_objects(self.bucket, prefix=check_key(prefix), recursive=True))

    async def list(self, prefix: str) -> list[str]:
        """Keys under `prefix` (a folder, ending in "/"), sorted."""
        return await asyncio.to_thread(self._list, prefix)

    async def check(self) -> None:
        await asyncio.to_thread(self._ensure_bucket)


def from_env() -> ObjectStore:
    endpoint = os.environ.get("S3_ENDPOINT", "")
    if endpoint:
        secure = endpoint.startswith("https://") or env_bool("S3_SECURE", False)
        host = endpoint.split("://", 1)[-1].rstrip("/")
        return S3ObjectStore(
            host,
            env_str("S3_ACCESS_KEY"),
            env_str("S3_SECRET_KEY"),
            env_str("S3_BUCKET", "backdrop"),
            secure,
            env_str("S3_REGION", "us-east-1"),
        )
    return LocalObjectStore(env_str("OBJECT_STORE_DIR", ".data/objects"))
