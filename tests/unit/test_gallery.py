"""Seed 004's gallery and usage without servers: which items a job makes, tags, and
how days sum into weeks and months."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator import analytics, gallery


def completed(**operation) -> jobs_pb2.Job:
    job = jobs_pb2.Job(id=str(uuid.uuid4()), owner_id=str(uuid.uuid4()), status=jobs_pb2.JOB_STATUS_COMPLETED, **operation)
    job.created_at.FromDatetime(dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC))
    return job


def test_a_generation_makes_one_item_per_image_named_as_the_generation_names_it():
    job = completed(generate=jobs_pb2.GenerateOptions(mode="text", prompt="a red kite", num_images=2))
    for n in (1, 2):
        job.result.images.add(key=f"results/{job.id}/image-{n}.png")
    rows = gallery.job_items(job)
    assert [row["source_id"] for row in rows] == [f"{job.id}:1", f"{job.id}:2"]
    assert rows[1] | {"source_id": ""} == {
        "source_id": "", "owner_id": job.owner_id, "job_id": job.id, "kind": "image", "prompt": "a red kite",
        "created_at": dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC), "object_key": f"results/{job.id}/image-2.png",
        "thumbnail_key": f"results/{job.id}/image-2.png.thumb.jpg", "model": "stable-diffusion",
    }


def test_an_enhancement_is_one_item_shown_by_its_result():
    job = completed(upscale=jobs_pb2.UpscaleOptions(scale=4))
    job.result.result_key, job.result.model = f"results/{job.id}/result.png", "realesrgan-x4plus"
    (row,) = gallery.job_items(job)
    assert (row["source_id"], row["object_key"], row["thumbnail_key"], row["model"], row["prompt"]) == (
        job.id, job.result.result_key, job.result.result_key, "realesrgan-x4plus", "",
    )
    assert gallery.job_items(completed(enhance=jobs_pb2.EnhanceOptions())) == []  # no result: nothing to show


def test_tags_are_trimmed_lower_case_unique_and_bounded():
    assert gallery.clean_tags(["  Sea  Scape ", "sea scape", "", "Art"]) == ["sea scape", "art"]
    with pytest.raises(ValueError):
        gallery.clean_tags([f"t{n}" for n in range(21)])
    with pytest.raises(ValueError):
        gallery.clean_tags(["x" * 41])


def test_days_sum_into_weeks_from_monday_and_months():
    days = [dt.date(2026, 1, 30) + dt.timedelta(days=n) for n in range(5)]  # Fri 30 Jan .. Tue 3 Feb
    totals = {days[0]: (1, 0, 3), days[3]: (2, 1, 7), days[4]: (0, 1, 1)}
    weekly = analytics._buckets(days, totals, analytics._week)
    assert [(b.date, b.generations, b.enhancements, b.credits) for b in weekly] == [
        ("2026-01-26", 1, 0, 3), ("2026-02-02", 2, 2, 8),
    ]
    monthly = analytics._buckets(days, totals, analytics._month)
    assert [(b.date, b.generations, b.credits) for b in monthly] == [("2026-01-01", 1, 3), ("2026-02-01", 2, 8)]
    assert [b.generations for b in analytics._buckets(days, totals, lambda d: d)] == [1, 0, 0, 2, 0]
