"""Seed 004's API (FOMI) under its base URL /fomi/v1: one proto service per part of
its document (protos/backdrop/fomi/v1/<part>.proto), each served by the module of
the same name here. Every servicer is built with the GatewayServicer, whose peers
(auth, billing, orchestrator, inference) do the work."""

from __future__ import annotations

from backdrop.fomi.v1 import accounts_pb2, accounts_pb2_grpc, settings_pb2, settings_pb2_grpc
from gateway.dialects.fomi import accounts, settings
from backdrop.fomi.v1 import analytics_pb2, analytics_pb2_grpc, gallery_pb2, gallery_pb2_grpc
from gateway.dialects.fomi import analytics, gallery
from backdrop.fomi.v1 import canvas_pb2, canvas_pb2_grpc
from gateway.dialects.fomi import canvas
from backdrop.fomi.v1 import plans_pb2, plans_pb2_grpc
from gateway.dialects.fomi import plans

# (generated messages, generated gRPC module, service name, servicer class)
SERVICES = (
    (accounts_pb2, accounts_pb2_grpc, "FomiAccounts", accounts.FomiAccounts),
    (plans_pb2, plans_pb2_grpc, "FomiPlans", plans.FomiPlans),
    (canvas_pb2, canvas_pb2_grpc, "FomiCanvas", canvas.FomiCanvas),
    (settings_pb2, settings_pb2_grpc, "FomiSettings", settings.FomiSettings),
    (gallery_pb2, gallery_pb2_grpc, "FomiGallery", gallery.FomiGallery),
    (analytics_pb2, analytics_pb2_grpc, "FomiAnalytics", analytics.FomiAnalytics),
)


def register(server, gateway) -> list[str]:
    """Adds every FOMI service to `server`; returns their full names."""
    names = []
    for messages, stubs, name, servicer in SERVICES:
        getattr(stubs, f"add_{name}Servicer_to_server")(servicer(gateway), server)
        names.append(messages.DESCRIPTOR.services_by_name[name].full_name)
    return names
