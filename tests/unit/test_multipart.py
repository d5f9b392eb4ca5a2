import pytest

from gateway import multipart
from services.runtime.errors import ServiceError

CT = "multipart/form-data; boundary=XyZ"


def body(*parts: bytes) -> bytes:
    return b"".join(b"--XyZ\r\n" + p + b"\r\n" for p in parts) + b"--XyZ--\r\n"


def test_files_and_fields():
    data = body(
        b'Content-Disposition: form-data; name="file"; filename="a b.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--not-a-boundary',
        b'Content-Disposition: form-data; name="model"\r\n\r\nu2netp',
    )
    fields = multipart.parse(data, CT)
    (upload,) = fields["file"]
    assert upload.filename == "a b.png" and upload.content_type == "image/png"
    assert upload.data == b"\x89PNG\r\n--not-a-boundary"
    assert fields["model"][0].text == "u2netp"


def test_repeated_fields_keep_their_order():
    data = body(*(f'Content-Disposition: form-data; name="files"; filename="{i}.png"\r\n\r\n{i}'.encode() for i in range(3)))
    assert [p.text for p in multipart.parse(data, CT)["files"]] == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("content_type", "data", "reason"),
    [
        ("application/json", b"{}", "INVALID_CONTENT_TYPE"),
        ("multipart/form-data", b"--x\r\n", "INVALID_CONTENT_TYPE"),
        (CT, b"no parts at all", "INVALID_MULTIPART"),
        (CT, b'--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\nunterminated', "INVALID_MULTIPART"),
        (CT, body(b"Content-Disposition: attachment\r\n\r\nx"), "INVALID_MULTIPART"),
    ],
)
def test_malformed_bodies(content_type, data, reason):
    with pytest.raises(ServiceError) as caught:
        multipart.parse(data, content_type)
    assert caught.value.reason == reason


def test_part_count_is_bounded():
    data = body(*[b'Content-Disposition: form-data; name="x"\r\n\r\n1'] * (multipart.MAX_PARTS + 1))
    with pytest.raises(ServiceError, match="At most"):
        multipart.parse(data, CT)


def test_text_fields_are_bounded():
    data = body(b'Content-Disposition: form-data; name="model"\r\n\r\n' + b"a" * (multipart.MAX_TEXT_FIELD_BYTES + 1))
    with pytest.raises(ServiceError, match="longer than"):
        multipart.parse(data, CT)
