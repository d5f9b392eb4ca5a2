"""Seed 004's API (FOMI) under its base URL /fomi/v1: one proto service per part of
its document (protos/backdrop/fomi/v1/<part>.proto), each served by the module of
the same name here. Every servicer is built with the GatewayServicer, whose peers
(auth, billing, orchestrator, inference) do the work."""

from __future__ import annotations

from backdrop.fomi.v1 import (
    accounts_pb2, accounts_pb2_grpc, analytics_pb2, analytics_pb2_grpc, canvas_pb2, canvas_pb2_grpc,
    gallery_pb2, gallery_pb2_grpc, plans_pb2, plans_pb2_grpc, settings_pb2, settings_pb2_grpc, training_pb2, training_pb2_grpc,
    videos_pb2, videos_pb2_grpc,
)
from gateway.dialects.fomi import accounts, analytics, canvas, gallery, plans, settings, training, videos

# (the service's descriptor, its generated add_…_to_server, the servicer class)
SERVICES = (
    (accounts_pb2.DESCRIPTOR.services_by_name["FomiAccounts"], accounts_pb2_grpc.add_FomiAccountsServicer_to_server, accounts.FomiAccounts),
    (plans_pb2.DESCRIPTOR.services_by_name["FomiPlans"], plans_pb2_grpc.add_FomiPlansServicer_to_server, plans.FomiPlans),
    (canvas_pb2.DESCRIPTOR.services_by_name["FomiCanvas"], canvas_pb2_grpc.add_FomiCanvasServicer_to_server, canvas.FomiCanvas),
    (settings_pb2.DESCRIPTOR.services_by_name["FomiSettings"], settings_pb2_grpc.add_FomiSettingsServicer_to_server, settings.FomiSettings),
    (gallery_pb2.DESCRIPTOR.services_by_name["FomiGallery"], gallery_pb2_grpc.add_FomiGalleryServicer_to_server, gallery.FomiGallery),
    (analytics_pb2.DESCRIPTOR.services_by_name["FomiAnalytics"], analytics_pb2_grpc.add_FomiAnalyticsServicer_to_server, analytics.FomiAnalytics),
    (videos_pb2.DESCRIPTOR.services_by_name["FomiVideos"], videos_pb2_grpc.add_FomiVideosServicer_to_server, videos.FomiVideos),
    (training_pb2.DESCRIPTOR.services_by_name["FomiTraining"], training_pb2_grpc.add_FomiTrainingServicer_to_server, training.FomiTraining),
)


def register(server, gateway) -> list[str]:
    """Adds every FOMI service to `server`; returns their full names."""
    for _, add, servicer in SERVICES:
        add(servicer(gateway), server)
    return [service.full_name for service, _, _ in SERVICES]
