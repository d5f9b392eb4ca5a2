"""The gateway's shared request checks."""

from __future__ import annotations

import pytest

from backdrop.gateway.v1 import gateway_pb2
from gateway import multipart
from gateway.rest import refuse_nul
from services.runtime.errors import ServiceError


def test_a_nul_in_any_text_field_is_a_400_naming_the_field():
    refuse_nul(gateway_pb2.HealthRequest())
    with pytest.raises(ServiceError) as refused:
        refuse_nul(gateway_pb2.HealthResponse(status="ok", unhealthy=["fine", "a\x00b"]))
    assert refused.value.reason == "INVALID_PARAMETER" and "unhealthy" in refused.value.message
    assert refused.value.http_status == 400


def test_a_nul_in_a_multipart_text_field_is_refused():
    part = multipart.Part(name="name", filename=None, content_type="text/plain", data=b"a\x00b")
    with pytest.raises(ServiceError) as refused:
        part.text
    assert refused.value.reason == "INVALID_PARAMETER" and "name" in refused.value.message
    assert multipart.Part("name", None, "text/plain", "ünïcode".encode()).text == "ünïcode"
