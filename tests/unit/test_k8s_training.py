"""The gpu-training component (k8s/components/gpu-training) on the production overlay:
the trainers request a GPU and take only training jobs, KEDA scales them from zero on the
trainers' consumer, the CPU workers stop taking training, and Triton serves the custom
models' volume with explicit model control. The manifests hold the same hardening the
base's workloads do (tests/unit/test_k8s.py's checks, run on this render)."""

from __future__ import annotations

import os

import pytest
import yaml

from services.inference.worker import consumer_for
from services.runtime import messaging
from tests.conftest import REPO
from tests.unit import test_k8s
from tests.unit.test_k8s import build, of_kind


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> list[dict]:
    overlay = tmp_path_factory.mktemp("gpu-training")
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(REPO / "k8s" / "overlays" / "production", overlay)],
                "components": [os.path.relpath(REPO / "k8s" / "components" / "gpu-training", overlay)],
            }
        )
    )
    return build(overlay, "--load-restrictor", "LoadRestrictionsNone")


def env(deployment: dict) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_the_render_holds_the_bases_checks(docs):
    for check in (
        test_k8s.test_every_resource_validates_against_the_schemas,
        test_k8s.test_workloads_have_probes_limits_and_a_hardened_context,
        test_k8s.test_every_volume_mount_has_its_volume,
    ):
        check(("production+gpu-training", docs))


def test_trainers_take_only_training_on_a_gpu_and_scale_from_zero(docs):
    deployments = of_kind(docs, "Deployment")
    trainer = deployments["training"]
    container = trainer["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert env(trainer)["WORKER_ROLE"] == "training" and env(trainer)["TRAINING_DEVICE"] == "cuda"
    assert env(deployments["inference"])["WORKER_ROLE"] == "inference"
    assert consumer_for("training") == (messaging.TRAINERS_CONSUMER, [f"{messaging.WORK_SUBJECT}.train"])
    assert f"{messaging.WORK_SUBJECT}.train" not in consumer_for("inference")[1]
    scaled = of_kind(docs, "ScaledObject")["training"]["spec"]
    (trigger,) = scaled["triggers"]
    assert scaled["scaleTargetRef"]["name"] == "training" and scaled["minReplicaCount"] == 0
    assert trigger["metadata"]["stream"] == messaging.WORK_STREAM and trigger["metadata"]["consumer"] == messaging.TRAINERS_CONSUMER


def test_the_custom_models_volume_is_shared_and_triton_loads_from_it(docs):
    deployments = of_kind(docs, "Deployment")
    assert of_kind(docs, "PersistentVolumeClaim")["custom-models"]["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in ("training", "inference", "triton"):
        pod = deployments[name]["spec"]["template"]["spec"]
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
        assert claims.get("custom-models") == "custom-models", name
    args = deployments["triton"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert {"--model-repository=/models", "--model-repository=/custom-models", "--model-control-mode=explicit", "--load-model=*"} <= set(args)
    assert env(deployments["training"])["CUSTOM_MODEL_REPOSITORY"] == env(deployments["inference"])["CUSTOM_MODEL_REPOSITORY"] == "/custom-models"


def test_trainers_may_reach_nats_minio_and_triton_only(docs):
    policies = of_kind(docs, "NetworkPolicy")
    admitting = {
        name for name, policy in policies.items()
        if any({"podSelector": {"matchLabels": {"app.kubernetes.io/name": "training"}}} in rule.get("from", []) for rule in policy["spec"].get("ingress", []))
    }
    assert admitting == {"nats-ingress", "minio-ingress", "triton-ingress"}
