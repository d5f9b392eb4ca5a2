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
        ("multipart/form-data", b"--x\r\n", "INVALID_MULTIPART"),  # its boundary from the body, then truncated
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


def test_a_huge_part_header_is_refused_with_a_clear_error():
    """300 KB of `; a=b` parameters took email.parser 13 s; the header block is capped instead."""
    disposition = b'Content-Disposition: form-data; name="file"' + b"; a=b" * 60_000
    with pytest.raises(ServiceError) as caught:
        multipart.parse(body(disposition + b"\r\n\r\nx"), CT)
    assert caught.value.reason == "INVALID_MULTIPART"
    assert f"longer than {multipart.MAX_HEADER_BYTES} bytes" in caught.value.message


def test_too_many_header_lines_or_parameters_are_refused():
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(multipart.MAX_HEADER_LINES))
    with pytest.raises(ServiceError, match="header lines"):
        multipart.parse(body(lines + b'Content-Disposition: form-data; name="f"\r\n\r\nx'), CT)
    params = b"".join(b"; p%d=v" % i for i in range(multipart.MAX_PARAMS))
    with pytest.raises(ServiceError, match="parameters"):
        multipart.parse(body(b'Content-Disposition: form-data; name="f"' + params + b"\r\n\r\nx"), CT)


@pytest.mark.parametrize(
    ("disposition", "name", "filename"),
    [
        (b'form-data; name="a;b"; filename="x; y=z.png"', "a;b", "x; y=z.png"),
        (b'form-data; name=plain; filename=photo.jpg', "plain", "photo.jpg"),
        (b'FORM-DATA; NAME="f"; filename="a \\"q\\".png"', "f", 'a "q".png'),
        (b"form-data; name=\"f\"; filename=\"fallback.png\"; filename*=UTF-8''caf%C3%A9.png", "f", "caf\u00e9.png"),
        (b'form-data; name="f"; filename=""', "f", ""),
        ('form-data; name="f"; filename="caf\u00e9.png"'.encode(), "f", "caf\u00e9.png"),
    ],
)
def test_content_disposition_forms(disposition, name, filename):
    fields = multipart.parse(body(b"Content-Disposition: " + disposition + b"\r\nContent-Type: Image/PNG\r\n\r\nx"), CT)
    (part,) = fields[name]
    assert (part.filename, part.content_type, part.data) == (filename, "image/png", b"x")


def test_quoted_boundary_and_default_part_type():
    fields = multipart.parse(body(b'Content-Disposition: form-data; name="m"\r\n\r\nv'), 'multipart/form-data; boundary="XyZ"')
    assert (fields["m"][0].text, fields["m"][0].content_type) == ("v", "text/plain")


@pytest.mark.parametrize(
    "header",
    [b'Content-Disposition: form-data; name="unterminated', b"Content-Disposition form-data", b"Content-Disposition: form-data"],
)
def test_malformed_part_headers(header):
    with pytest.raises(ServiceError) as caught:
        multipart.parse(body(header + b"\r\n\r\nx"), CT)
    assert caught.value.reason == "INVALID_MULTIPART"


async def test_parse_async_runs_off_the_event_loop(monkeypatch):
    import threading

    seen, original = [], multipart.parse
    monkeypatch.setattr(multipart, "parse", lambda *args: seen.append(threading.get_ident()) or original(*args))
    fields = await multipart.parse_async(body(b'Content-Disposition: form-data; name="m"\r\n\r\nv'), CT)
    assert fields["m"][0].text == "v"
    assert seen and seen[0] != threading.get_ident()


def test_a_boundary_left_out_of_the_header_is_read_from_the_body():
    """Seed 001's example sets `Content-Type: multipart/form-data` by hand, so fetch sends no boundary."""
    fields = multipart.parse(body(b'Content-Disposition: form-data; name="tier"\r\n\r\nbasic'), "multipart/form-data")
    assert fields["tier"][0].text == "basic"
    with pytest.raises(ServiceError) as refused:
        multipart.parse(b"no delimiter line here", "multipart/form-data")
    assert refused.value.reason == "INVALID_CONTENT_TYPE"
