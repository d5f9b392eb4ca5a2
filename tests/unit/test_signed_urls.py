import urllib.parse

import pytest

from services.runtime.signing import UrlSigner
from services.runtime.errors import ServiceError

signer = UrlSigner(key=b"k" * 32, base_url="https://api.example", ttl_s=600)


def parts(url: str) -> tuple[str, int, str]:
    split = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(split.query))
    return urllib.parse.unquote(split.path.removeprefix("/v1/files/")), int(query["expires"]), query["signature"]


def test_roundtrip():
    url = signer.url("results/j/image.png", now=1000)
    assert url.startswith("https://api.example/v1/files/results/j/image.png?")
    key, expires, signature = parts(url)
    assert expires == 1600
    signer.verify(key, expires, signature, now=1500)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda k, e, s: ("results/j/mask.png", e, s), "INVALID_SIGNATURE"),
        (lambda k, e, s: (k, e + 3600, s), "INVALID_SIGNATURE"),
        (lambda k, e, s: (k, e, s[:-1] + ("A" if s[-1] != "A" else "B")), "INVALID_SIGNATURE"),
        (lambda k, e, s: (k, e, ""), "INVALID_SIGNATURE"),
    ],
)
def test_tampering_is_refused(change, reason):
    key, expires, signature = change(*parts(signer.url("results/j/image.png", now=1000)))
    with pytest.raises(ServiceError) as caught:
        signer.verify(key, expires, signature, now=1500)
    assert caught.value.reason == reason and caught.value.http_status == 403


def test_expiry():
    key, expires, signature = parts(signer.url("results/j/image.png", now=1000))
    with pytest.raises(ServiceError) as caught:
        signer.verify(key, expires, signature, now=1601)
    assert caught.value.reason == "LINK_EXPIRED"


def test_another_key_does_not_verify():
    key, expires, signature = parts(signer.url("results/j/image.png", now=1000))
    with pytest.raises(ServiceError):
        UrlSigner(key=b"other" * 8, base_url="https://api.example").verify(key, expires, signature, now=1500)
