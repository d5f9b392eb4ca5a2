"""Password hashing: bounded concurrency (H2) and hashes of older parameters still verify."""

from __future__ import annotations

import asyncio
import threading
import time

import grpc
import pytest
from argon2 import PasswordHasher

from services.auth import passwords
from services.runtime.errors import ServiceError


def test_a_full_pool_answers_auth_busy_with_retry_after_and_frees_its_slots():
    release = threading.Event()
    running = []

    def slow(n):
        running.append(n)
        release.wait(5)
        return n

    async def scenario():
        pool = passwords.HashPool(size=2, wait_s=0.1)
        held = [asyncio.create_task(pool.run(slow, n)) for n in range(2)]
        await asyncio.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(ServiceError) as busy:
            await pool.run(slow, 9)
        waited = time.monotonic() - started
        release.set()
        assert await asyncio.gather(*held) == [0, 1]
        assert await pool.run(lambda: "free again") == "free again"
        return busy.value, waited

    error, waited = asyncio.run(scenario())
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and error.http_status == 429
    assert error.reason == "AUTH_BUSY" and error.details["retry_after"] == "1"
    assert 0.09 <= waited < 1.0
    assert 9 not in running  # refused before it ran


def test_a_cancelled_caller_keeps_its_slot_until_the_hash_is_done():
    release = threading.Event()

    async def scenario():
        pool = passwords.HashPool(size=1, wait_s=0.1)
        caller = asyncio.create_task(pool.run(release.wait, 5))
        await asyncio.sleep(0.05)
        caller.cancel()
        with pytest.raises(ServiceError):  # the thread still hashes: no second one may start
            await pool.run(lambda: None)
        release.set()
        await asyncio.sleep(0.05)
        return await pool.run(lambda: "ok")

    assert asyncio.run(scenario()) == "ok"


def test_hashes_use_owasp_parameters_and_older_hashes_still_verify_and_ask_for_a_rehash():
    async def scenario():
        old = PasswordHasher().hash("correct horse")  # the library's default: 64 MiB, p=4
        new = await passwords.hash_password("correct horse")
        return old, new, await passwords.password_matches(old, "correct horse"), await passwords.password_matches(old, "wrong")

    old, new, old_ok, old_wrong = asyncio.run(scenario())
    assert "$m=19456,t=2,p=1$" in new
    assert old_ok and not old_wrong
    assert passwords.needs_rehash(old) and not passwords.needs_rehash(new)
    assert not passwords.needs_rehash("not a hash")
