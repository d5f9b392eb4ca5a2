"""The local KServe v2 inference server's runtimes: what they share, and ONNX models on onnxruntime.

MLServer serves the model repository that Triton serves in production; a
runtime is what executes a model there (the Backdrop services never run
models themselves). Runs happen in threads so MLServer's event loop keeps
accepting requests, which its adaptive batching then groups. Each model's
runtime and CPU precision are pinned in its config.pbtxt (deploy/local/modelserver.py
reads them); deploy/local/mlserver_openvino.py is the other runtime.
"""

from __future__ import annotations

import abc
import asyncio
import os

import numpy as np
import onnxruntime
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse, MetadataModelResponse


def intra_op_threads() -> int:
    """Threads per run; 0: all cores (ORT_INTRA_OP_THREADS, for either runtime)."""
    return int(os.environ.get("ORT_INTRA_OP_THREADS", "0"))


def concurrent_runs() -> int:
    """Runs in flight at once (ORT_CONCURRENT_RUNS): one uses every core without
    oversubscribing them; requests that arrive meanwhile are batched by MLServer."""
    return int(os.environ.get("ORT_CONCURRENT_RUNS", "1"))


class LocalModel(MLModel, abc.ABC):
    """A model on one of the local runtimes: KServe v2 tensors in and out, a bounded number of runs at once.

    Subclasses set `runtime` and, in `open()`, `precision` and `output_names`; `run()` executes.
    """

    runtime = ""
    precision = "f32"
    output_names: list[str] = []

    @abc.abstractmethod
    def open(self) -> None:
        """Loads or compiles the model at settings.parameters.uri (in a thread: it may take seconds)."""

    @abc.abstractmethod
    def run(self, wanted: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """One inference: the `wanted` outputs for `feeds`, in that order."""

    async def load(self) -> bool:
        self.runs = asyncio.Semaphore(concurrent_runs())
        await asyncio.to_thread(self.open)  # compiling a large model takes seconds
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {tensor.name: NumpyCodec.decode_input(tensor) for tensor in payload.inputs}
        wanted = [o.name for o in payload.outputs] if payload.outputs else self.output_names
        async with self.runs:
            results = await asyncio.to_thread(self.run, wanted, feeds)
        return InferenceResponse(
            model_name=self.name,
            outputs=[NumpyCodec.encode_output(name, value) for name, value in zip(wanted, results)],
        )

    async def metadata(self) -> MetadataModelResponse:
        """The platform says what runs the model, at which precision (e.g. openvino_bf16):
        `make bench` prints it, read over the same KServe v2 interface the services use."""
        response = await super().metadata()
        response.platform = f"{self.runtime}_{self.precision}"
        return response


class OnnxModel(LocalModel):
    runtime = "onnxruntime"

    def open(self) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = intra_op_threads()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning threads burn the cores the rest of the mesh needs between requests.
        options.add_session_config_entry("session.intra_op.allow_spinning", os.environ.get("ORT_ALLOW_SPINNING", "0"))
        self.session = onnxruntime.InferenceSession(
            self.settings.parameters.uri, options, providers=["CPUExecutionProvider"]
        )
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.precision = "f32"  # the CPU execution provider computes in the graph's own (fp32) types

    def run(self, wanted: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self.session.run(wanted, feeds)
