"""Every proto service of seed 004's package is served: one Envoy transcodes without a
servicer behind it answers every call of it with UNIMPLEMENTED (a 5xx to the client)."""

from __future__ import annotations

from deploy.envoy import render
from gateway.dialects import fomi


def test_every_fomi_proto_service_has_its_servicer():
    in_protos = {name for name in render.public_services() if name.startswith("backdrop.fomi.v1.")}
    served = [service.full_name for service, _, _ in fomi.SERVICES]
    assert len(served) == len(set(served))
    assert set(served) == in_protos


def test_each_servicer_implements_its_service():
    for service, _, servicer in fomi.SERVICES:
        missing = [method.name for method in service.methods if method.name not in vars(servicer)]
        assert not missing, (service.full_name, missing)
