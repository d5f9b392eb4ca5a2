"""Inference service: ListModels over gRPC, and the JetStream worker."""

from __future__ import annotations

import asyncio
import contextlib

import grpc

from backdrop.inference.v1 import inference_pb2, inference_pb2_grpc
from services.inference import generation, models
from services.inference.pipeline import video_diffusion
from services.inference.triton import InferenceServer, ModelError
from services.inference.worker import Worker
from services.runtime import grpcio, logs, messaging, objectstore
from services.runtime.config import env_int, env_str


class InferenceServicer(inference_pb2_grpc.InferenceServiceServicer):
    def __init__(self, server: InferenceServer):
        self.server = server

    async def ListModels(self, request, context):
        listed = []
        for spec in models.enabled_models().values():
            ready = await self.server.is_ready(spec.name)
            listed.append(
                inference_pb2.Model(
                    name=spec.name, aliases=spec.aliases, description=spec.description, ready=ready, task="segmentation"
                )
            )
        for spec in models.UPSCALE_MODELS.values():
            ready = await self.server.is_ready(spec.name)
            listed.append(
                inference_pb2.Model(
                    name=spec.name, aliases=spec.aliases, description=spec.description, ready=ready, task="upscale",
                    scale=spec.scale,
                )
            )
        listed.append(
            inference_pb2.Model(
                name="stable-diffusion", aliases=["stable-diffusion-xl", "stable-diffusion-inpaint", "stable-diffusion-outpaint"],
                description="Latent diffusion: " + ", ".join(generation.MODELS), task="diffusion",
                ready=await generation.Generation(None, self.server).available(),
            )
        )
        listed.append(
            inference_pb2.Model(
                name="stable-video-diffusion", description="Image-to-video latent diffusion: " + ", ".join(video_diffusion.MODELS),
                task="video", ready=await video_diffusion.VideoGeneration(generation.Generation(None, self.server)).available(),
            )
        )
        return inference_pb2.ListModelsResponse(models=listed, default_model=models.default_model())


class CustomModelFilesServicer(inference_pb2_grpc.CustomModelFilesServicer):
    """Deletes a custom model (seed 004's DELETE /models/custom/{id}): unloaded, then its files gone."""

    def __init__(self, server: InferenceServer):
        self.server = server

    async def DeleteCustomModel(self, request, context):
        from services.inference import training

        if not request.name.startswith(training.CUSTOM_PREFIX):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "not a custom model's name")
        with contextlib.suppress(ModelError):  # not loaded (a restarted Triton in explicit mode): nothing to unload
            await self.server.unload_model(request.name)
        return inference_pb2.DeleteCustomModelResponse(deleted=await asyncio.to_thread(training.delete_model_files, request.name))


async def main() -> None:
    logs.setup("inference", env_str("LOG_LEVEL", "INFO"))
    models.enabled_models()  # a bad ENABLED_MODELS (MODEL_NAMES) stops the service here, named
    nats_client, js = await messaging.connect("inference")
    store = objectstore.from_env()
    server = InferenceServer()
    worker = Worker(nats_client, js, store, server)

    def register(grpc_server):
        inference_pb2_grpc.add_InferenceServiceServicer_to_server(InferenceServicer(server), grpc_server)
        inference_pb2_grpc.add_CustomModelFilesServicer_to_server(CustomModelFilesServicer(server), grpc_server)
        return [inference_pb2.DESCRIPTOR.services_by_name[name].full_name for name in ("InferenceService", "CustomModelFiles")]

    async def close():
        await nats_client.drain()
        await server.close()

    await grpcio.serve(
        name="inference",
        port=env_int("INFERENCE_PORT", 50053),
        register=register,
        checks={
            "nats": lambda: messaging.check(nats_client),
            "model-server": server.check,
            "object-store": store.check,
        },
        background=[worker.run],
        on_shutdown=close,
    )


if __name__ == "__main__":
    asyncio.run(main())
