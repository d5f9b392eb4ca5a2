"""`make bench-billing`: what the charge and the rate-limit steps add to a request.

On one mesh: (1) the billing Charge RPC the gateway makes before queueing a
job, called directly; (2) Envoy's rate-limit check, measured as the
difference between the same authenticated request through the mesh's Envoy
and through a second Envoy rendered from the same template without the
rate-limit filter. Medians over many requests; prints figures, asserts nothing.
"""

from __future__ import annotations

import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import grpc
import requests
import yaml

from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from deploy.envoy import render
from tests.bench.common import BENCH_ENV, BENCH_HEADERS
from deploy.local.mesh import Mesh, Ports, free_port, port_open

REQUESTS = 300


def median_ms(call, count: int = REQUESTS) -> float:
    for _ in range(20):
        call()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def envoy_without_rate_limits(mesh: Mesh, workdir: pathlib.Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = yaml.safe_load(render.render({**mesh.service_env(), "BACKDROP_HTTP_PORT": str(port), "ENVOY_ADMIN_PORT": str(free_port())}))
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    manager["http_filters"] = [f for f in manager["http_filters"] if f["name"] != "envoy.filters.http.ratelimit"]
    path = workdir / "envoy-no-ratelimit.yaml"
    path.write_text(yaml.safe_dump(config))
    envoy = subprocess.Popen(
        [str(pathlib.Path(sys.executable).with_name("envoy")), "-c", str(path), "--log-level", "error", "--base-id", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    while not port_open(port):
        time.sleep(0.1)
    return envoy, f"http://127.0.0.1:{port}"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        mesh = Mesh(workdir / "mesh", ports=Ports.free(), sink=lambda name, line: None, env=BENCH_ENV)
        mesh.start(timeout=180)
        plain = None
        try:
            headers = BENCH_HEADERS
            with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.billing}") as channel:
                billing = billing_pb2_grpc.BillingServiceStub(channel)
                user = str(uuid.uuid4())
                # Enterprise: a daily quota and credits that hundreds of charges stay under.
                billing.Subscribe(billing_pb2.SubscribeRequest(user_id=user, plan="enterprise", paymentMethodId="pm_card_visa"))

                def charge():
                    billing.Charge(billing_pb2.ChargeRequest(user_id=user, plan="pro", job_id=str(uuid.uuid4()), tier="basic"))

                charge_ms = median_ms(charge)
            plain, plain_url = envoy_without_rate_limits(mesh, workdir)
            with requests.Session() as session:
                limited_ms = median_ms(lambda: session.get(f"{mesh.base_url}/v1/users/me", headers=headers))
            with requests.Session() as session:
                unlimited_ms = median_ms(lambda: session.get(f"{plain_url}/v1/users/me", headers=headers))
        finally:
            if plain is not None:
                plain.terminate()
                plain.wait(10)
            mesh.stop()
    added = limited_ms - unlimited_ms
    print(f"median of {REQUESTS} requests each, on this machine")
    print(f"{'charge (billing.Charge RPC, one ledger transaction)':58} {charge_ms:7.2f} ms")
    print(f"{'GET /v1/users/me through Envoy with the rate-limit filter':58} {limited_ms:7.2f} ms")
    print(f"{'the same through an Envoy without it (baseline)':58} {unlimited_ms:7.2f} ms")
    print(f"{'rate-limit step (difference)':58} {added:7.2f} ms  (ratio {limited_ms / unlimited_ms:.2f})")
    print(f"{'charge + rate-limit, one after the other (target < 5 ms)':58} {charge_ms + added:7.2f} ms")
    print("(the gateway runs the charge while it writes the upload, so a processing request waits")
    print(" for the longer of the two, not their sum)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
