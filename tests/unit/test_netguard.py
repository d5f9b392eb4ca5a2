import pytest

from services.runtime import netguard
from services.runtime.errors import ServiceError


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "http://localhost:8080/", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data",
     "http://[::1]/", "http://192.168.1.1/", "http://0.0.0.0/"],
)
def test_private_targets_are_refused(url, monkeypatch):
    monkeypatch.delenv("OUTBOUND_ALLOWED_HOSTS", raising=False)
    with pytest.raises(ServiceError) as caught:
        netguard.check(url)
    assert caught.value.reason == "URL_NOT_ALLOWED"


@pytest.mark.parametrize("url", ["ftp://example.com/", "http://user:pw@example.com/", "not a url", "http://"])
def test_malformed_urls(url):
    with pytest.raises(ServiceError) as caught:
        netguard.check(url)
    assert caught.value.reason == "INVALID_URL"


def test_the_operator_allow_list(monkeypatch):
    monkeypatch.setenv("OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")
    target = netguard.check("http://127.0.0.1:9000/hooks?x=1")
    assert (target.address, target.port, target.path) == ("127.0.0.1", 9000, "/hooks?x=1")
