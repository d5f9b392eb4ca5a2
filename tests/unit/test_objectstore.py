import asyncio

import pytest

from services.runtime import objectstore
from services.runtime.objectstore import LocalObjectStore, ObjectNotFound, S3ObjectStore


async def roundtrip(store) -> None:
    await store.check()
    await store.put("results/job-1/image.png", b"\x89PNG data", "image/png")
    assert await store.get("results/job-1/image.png") == b"\x89PNG data"
    assert await store.content_type("results/job-1/image.png") == "image/png"
    await store.put("results/job-1/image.png", b"second", "image/png")
    assert await store.get("results/job-1/image.png") == b"second"
    with pytest.raises(ObjectNotFound):
        await store.get("results/missing.png")
    with pytest.raises(ObjectNotFound):
        await store.content_type("results/missing.png")
    big = bytes(range(256)) * 1000
    await store.put("results/job-1/big.bin", big, "application/octet-stream")
    pieces = [chunk async for chunk in store.chunks("results/job-1/big.bin", 100_000)]
    assert b"".join(pieces) == big and [len(p) for p in pieces] == [100_000, 100_000, 56_000]
    with pytest.raises(ObjectNotFound):
        [chunk async for chunk in store.chunks("results/missing.png", 100)]
    await store.put("uploads/gone.png", b"x", "image/png")
    await store.delete("uploads/gone.png")
    with pytest.raises(ObjectNotFound):
        await store.get("uploads/gone.png")
    await store.put("backgrounds/u1/b.png", b"b", "image/png")
    await store.put("backgrounds/u1/a.png", b"a", "image/png")
    await store.put("backgrounds/u10/c.png", b"c", "image/png")
    assert await store.list("backgrounds/u1/") == ["backgrounds/u1/a.png", "backgrounds/u1/b.png"]
    assert await store.list("backgrounds/nobody/") == []


def test_local_store(tmp_path):
    store = LocalObjectStore(tmp_path)
    asyncio.run(roundtrip(store))
    # Durable: a new instance over the same directory sees the data, and no temp files remain.
    assert asyncio.run(LocalObjectStore(tmp_path).get("results/job-1/image.png")) == b"second"
    assert not list(tmp_path.rglob(".tmp-*"))


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../../b", "/abs", "a//b", "", "x" * 600, "sp ace"])
def test_keys_are_checked(tmp_path, key):
    with pytest.raises(ValueError):
        asyncio.run(LocalObjectStore(tmp_path).put(key, b"x", "text/plain"))


def test_s3_store_against_moto_over_http(monkeypatch):
    from moto.server import ThreadedMotoServer

    from deploy.local.mesh import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        monkeypatch.setenv("S3_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("S3_ACCESS_KEY", "test-access")
        monkeypatch.setenv("S3_SECRET_KEY", "test-secret")
        monkeypatch.setenv("S3_BUCKET", "backdrop-test")
        store = objectstore.from_env()
        assert isinstance(store, S3ObjectStore)
        asyncio.run(roundtrip(store))
        assert store.client.bucket_exists("backdrop-test")
    finally:
        server.stop()


def test_local_store_is_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("S3_ENDPOINT", raising=False)
    monkeypatch.setenv("OBJECT_STORE_DIR", str(tmp_path / "objects"))
    assert isinstance(objectstore.from_env(), LocalObjectStore)
