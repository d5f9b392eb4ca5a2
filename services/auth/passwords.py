"""Password hashing (Argon2id), bounded so a flood of anonymous registers or logins
cannot take the auth service down (H2).

Why bounded: every hash holds `memory_cost` of RAM and a core for tens of
milliseconds, and register and login are open routes. The same process answers
Envoy's ext_authz Check for every request, so hashes run in their own small
thread pool (never the default executor) and at most AUTH_HASH_CONCURRENCY of
them run or wait at once. A caller that cannot get a slot within
AUTH_HASH_WAIT_S is told 429 AUTH_BUSY with a Retry-After instead of queueing
without end; the event loop, and with it Check, keeps answering.

Why these parameters: OWASP's Argon2id minimum (19 MiB, t=2, p=1) instead of
the library default (64 MiB, p=4): a third of the memory per hash, one core
each. Argon2 writes its parameters into every hash, so hashes made with older
parameters keep verifying; `needs_rehash` tells login to upgrade them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable

import grpc
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.runtime.config import env_float, env_int
from services.runtime.errors import ServiceError

hasher = PasswordHasher(
    time_cost=env_int("ARGON2_TIME_COST", 2),
    memory_cost=env_int("ARGON2_MEMORY_KIB", 19 * 1024),
    parallelism=env_int("ARGON2_PARALLELISM", 1),
)
# Compared against when the email is unknown, so both failures take as long.
DUMMY_HASH = hasher.hash("not-a-password-of-anyone")


def busy(retry_after_s: int = 1) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "AUTH_BUSY",
        f"Too many sign-ins and registrations at once; retry in {retry_after_s} second(s)",
        details={"retry_after": retry_after_s},
    )


class HashPool:
    """At most `size` hashes at once, in threads of their own; a full pool answers AUTH_BUSY after `wait_s`."""

    def __init__(self, size: int, wait_s: float):
        if size < 1:
            raise ValueError("AUTH_HASH_CONCURRENCY must be at least 1")
        self.size = size
        self.wait_s = wait_s
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="argon2")
        self.slots = asyncio.Semaphore(size)

    async def run(self, work: Callable, *args):
        try:
            async with asyncio.timeout(self.wait_s):
                await self.slots.acquire()
        except TimeoutError:
            raise busy(max(1, round(self.wait_s))) from None
        loop = asyncio.get_running_loop()
        try:
            job = self.executor.submit(work, *args)
        except BaseException:
            self.slots.release()
            raise
        # The slot is freed when the thread is done, not when the caller stops waiting
        # (a cancelled RPC must not let more hashes run than there are slots).
        job.add_done_callback(lambda _: loop.call_soon_threadsafe(self.slots.release))
        return await asyncio.wrap_future(job)


_pools: dict[asyncio.AbstractEventLoop, HashPool] = {}


def pool() -> HashPool:
    """The event loop's pool (a service has one loop; a semaphore belongs to one loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _pools:
        _pools.clear()
        _pools[loop] = HashPool(env_int("AUTH_HASH_CONCURRENCY", 2), env_float("AUTH_HASH_WAIT_S", 2.0))
    return _pools[loop]


async def hash_password(password: str) -> str:
    return await pool().run(hasher.hash, password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(stored_hash: str, password: str) -> bool:
    return await pool().run(_verify, stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's (upgraded at the next login)."""
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False
