"""The local KServe v2 inference server's runtime: ONNX models on onnxruntime.

MLServer serves the model repository that Triton serves in production; this
runtime is what executes a model there (the Backdrop services never run
models themselves). The session runs in a thread so MLServer's event loop
keeps accepting requests, which its adaptive batching then groups.
"""

from __future__ import annotations

import asyncio
import os

import onnxruntime
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse


class OnnxModel(MLModel):
    async def load(self) -> bool:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("ORT_INTRA_OP_THREADS", "0"))
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning threads burn the cores the rest of the mesh needs between requests.
        options.add_session_config_entry("session.intra_op.allow_spinning", os.environ.get("ORT_ALLOW_SPINNING", "0"))
        self.session = onnxruntime.InferenceSession(
            self.settings.parameters.uri, options, providers=["CPUExecutionProvider"]
        )
        self.output_names = [o.name for o in self.session.get_outputs()]
        # One run at a time uses every core without oversubscribing them;
        # requests that arrive meanwhile are batched by MLServer.
        self.runs = asyncio.Semaphore(int(os.environ.get("ORT_CONCURRENT_RUNS", "1")))
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {tensor.name: NumpyCodec.decode_input(tensor) for tensor in payload.inputs}
        wanted = [o.name for o in payload.outputs] if payload.outputs else self.output_names
        async with self.runs:
            results = await asyncio.to_thread(self.session.run, wanted, feeds)
        return InferenceResponse(
            model_name=self.name,
            outputs=[NumpyCodec.encode_output(name, value) for name, value in zip(wanted, results)],
        )
