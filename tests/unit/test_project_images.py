"""Project images without servers: the cap, the object keys retention must leave
alone, and the file names kept (issue 13)."""

from __future__ import annotations

import uuid

import pytest

from backdrop.jobs.v1 import jobs_pb2
from gateway.projects import clean_filename
from services.orchestrator.projects import IMAGE_KEY, check_capacity
from services.orchestrator.retention import owned_keys
from services.runtime.errors import ServiceError

PROJECT, IMAGE = str(uuid.uuid4()), str(uuid.uuid4())
KEY = f"projects/{PROJECT}/{IMAGE}.png"


def test_a_full_project_refuses_the_next_image():
    check_capacity(0, 500)
    check_capacity(499, 500)
    for count in (500, 501):
        with pytest.raises(ServiceError) as refused:
            check_capacity(count, 500)
        assert refused.value.reason == "PROJECT_FULL" and refused.value.http_status == 400
        assert refused.value.details["max_images"] == "500"


def test_retention_never_deletes_a_project_image_a_job_ran_on():
    job = jobs_pb2.Job(id=str(uuid.uuid4()), input_key=KEY, result=jobs_pb2.JobResult(result_key="results/x/out.png"))
    prefixes, keys = owned_keys(job)
    assert KEY not in keys and not any(KEY.startswith(prefix) for prefix in prefixes)


def test_only_the_gateways_key_shape_is_recorded():
    assert IMAGE_KEY.match(KEY).groups() == (PROJECT, IMAGE)
    for key in (f"results/{PROJECT}/{IMAGE}.png", f"projects/{PROJECT}/../{IMAGE}.png", f"projects/{PROJECT}/{IMAGE}.gif"):
        assert IMAGE_KEY.match(key) is None, key


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("me.png", "me.png"), ("C:\\Users\\me\\a.jpg", "a.jpg"), ("../../etc/pa\x00ss\n", "pass"), (None, "image.webp"), ("  ", "image.webp")],
)
def test_file_names_lose_folders_and_control_characters(sent, kept):
    assert clean_filename(sent, "webp") == kept
    assert len(clean_filename("x" * 1000, "png")) == 255
