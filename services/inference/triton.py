"""The one way this service reaches the inference server: tritonclient (gRPC).

Locally that server is MLServer, in production NVIDIA Triton; both speak
KServe v2. Connection failures become ModelServerUnavailable so the worker can
requeue the job instead of failing it.
"""

from __future__ import annotations

import numpy as np
import tritonclient.grpc.aio as triton
from tritonclient.utils import InferenceServerException

from services.runtime import metrics, tracing
from services.runtime.config import env_float, env_str

DTYPES = {"FP32": np.float32, "FP16": np.float16, "INT32": np.int32, "INT64": np.int64}
# A deadline is not an outage: a model call that always exceeds TRITON_TIMEOUT_S is the job's
# failure (it uses up an attempt), not a reason to requeue it forever.
_UNAVAILABLE = ("StatusCode.UNAVAILABLE", "StatusCode.CANCELLED")


class ModelServerUnavailable(RuntimeError):
    pass


class ModelError(RuntimeError):
    pass


class InferenceServer:
    def __init__(self, url: str | None = None):
        self.url = url or env_str("TRITON_URL", "127.0.0.1:8001")
        self.timeout = env_float("TRITON_TIMEOUT_S", 120.0)
        self.client = triton.InferenceServerClient(self.url)
        self._outputs: dict[str, tuple[str, str]] = {}
        self._input_types: dict[str, dict[str, str]] = {}

    async def _io_names(self, model: str) -> tuple[str, str]:
        """(first input, first output) from the model's metadata, cached."""
        if model not in self._outputs:
            meta = await self._call(self.client.get_model_metadata, model)
            self._outputs[model] = (meta.inputs[0].name, meta.outputs[0].name)
        return self._outputs[model]

    async def _call(self, fn, *args, **kwargs):
        try:
            return await fn(*args, **kwargs)
        except InferenceServerException as exc:
            if exc.status() in _UNAVAILABLE or "failed to connect" in str(exc).lower():
                raise ModelServerUnavailable(f"inference server at {self.url} is unavailable") from exc
            raise ModelError(str(exc)) from exc

    async def infer(self, model: str, tensor: np.ndarray) -> np.ndarray:
        input_name, output_name = await self._io_names(model)
        request = triton.InferInput(input_name, list(tensor.shape), "FP32")
        request.set_data_from_numpy(tensor)
        result = await self._infer(model, [request], [triton.InferRequestedOutput(output_name)])
        return result.as_numpy(output_name)

    async def infer_named(self, model: str, inputs: dict[str, np.ndarray], output: str) -> np.ndarray:
        """A model of several inputs; each is cast to the type the model declares
        (exports differ: a UNet's timestep may be FP32 or INT64, weights FP16 or FP32)."""
        if model not in self._input_types:
            meta = await self._call(self.client.get_model_metadata, model)
            self._input_types[model] = {tensor.name: tensor.datatype for tensor in meta.inputs}
        requests = []
        for name, value in inputs.items():
            datatype = self._input_types[model].get(name, "FP32")
            array = np.ascontiguousarray(value, dtype=DTYPES.get(datatype, np.float32))
            request = triton.InferInput(name, list(array.shape), datatype)
            request.set_data_from_numpy(array)
            requests.append(request)
        result = await self._infer(model, requests, [triton.InferRequestedOutput(output)])
        return result.as_numpy(output).astype(np.float32)

    async def _infer(self, model: str, inputs: list, outputs: list):
        """One model call, timed per model (backdrop_inference_seconds) and traced."""
        with tracing.span(f"infer {model}", model=model), metrics.INFERENCE_SECONDS.labels(model).time():
            return await self._call(self.client.infer, model, inputs, outputs=outputs, client_timeout=self.timeout)

    async def is_ready(self, model: str) -> bool:
        try:
            return bool(await self._call(self.client.is_model_ready, model))
        except (ModelError, ModelServerUnavailable):
            return False

    async def load_model(self, model: str) -> None:
        """Model control (KServe v2 repository extension; Triton with --model-control-mode=explicit,
        MLServer always): the server (re)reads the model from its repository."""
        await self._call(self.client.load_model, model)
        self._outputs.pop(model, None)
        self._input_types.pop(model, None)

    async def unload_model(self, model: str) -> None:
        await self._call(self.client.unload_model, model)
        self._outputs.pop(model, None)
        self._input_types.pop(model, None)

    async def check(self) -> None:
        if not await self._call(self.client.is_server_ready):
            raise ModelServerUnavailable(f"inference server at {self.url} is not ready")

    async def close(self) -> None:
        await self.client.close()
