import grpc
import pytest

from services.runtime.errors import STATUS_DETAILS_KEY, ServiceError


def test_error_info_survives_a_grpc_hop():
    error = ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "FILE_TOO_LARGE", "too big", details={"max_bytes": 10}, http_status=413)
    trailing = grpc.aio.Metadata((STATUS_DETAILS_KEY, error.to_status().SerializeToString()))
    received = grpc.aio.AioRpcError(grpc.StatusCode.INVALID_ARGUMENT, grpc.aio.Metadata(), trailing, "too big")
    again = ServiceError.from_rpc_error(received)
    assert (again.reason, again.message, again.details) == ("FILE_TOO_LARGE", "too big", {"max_bytes": "10"})
    assert again.http_status == 413


@pytest.mark.parametrize(
    ("code", "reason", "status"),
    [(grpc.StatusCode.UNAVAILABLE, "SERVICE_UNAVAILABLE", 503), (grpc.StatusCode.INTERNAL, "INTERNAL_ERROR", 500)],
)
def test_plain_grpc_errors_get_a_code(code, reason, status):
    error = ServiceError.from_rpc_error(grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), "boom"))
    assert (error.reason, error.http_status) == (reason, status)


def test_a_peer_s_raw_error_text_is_not_passed_on(caplog):
    """An unhandled exception in a peer arrives as plain text (SQL included): clients get a generic message."""
    raw = "Unexpected <class 'sqlalchemy.exc.ProgrammingError'>: SELECT * FROM users WHERE email = 'a@b.c'"
    with caplog.at_level("WARNING"):
        error = ServiceError.from_rpc_error(grpc.aio.AioRpcError(grpc.StatusCode.UNKNOWN, grpc.aio.Metadata(), grpc.aio.Metadata(), raw))
    assert error.reason == "INTERNAL_ERROR" and "SELECT" not in error.message and "UNKNOWN" in error.message
    assert "SELECT * FROM users" in caplog.text
