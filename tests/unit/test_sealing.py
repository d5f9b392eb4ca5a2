"""Auth's text secrets at rest (M11): sealed under the passphrase, opened only with it."""

from __future__ import annotations

import cryptography.exceptions
import pytest

from services.auth import sealing


def test_a_sealed_value_opens_only_with_its_passphrase(monkeypatch):
    monkeypatch.setenv("SIGNING_KEY_PASSPHRASE", "one passphrase")
    sealed = sealing.seal_text("JBSWY3DPEHPK3PXP")
    assert sealed.startswith(sealing.PREFIX) and "JBSWY3DPEHPK3PXP" not in sealed
    assert sealed != sealing.seal_text("JBSWY3DPEHPK3PXP")  # a fresh nonce each time
    assert sealing.open_text(sealed) == "JBSWY3DPEHPK3PXP"
    monkeypatch.setenv("SIGNING_KEY_PASSPHRASE", "another")
    with pytest.raises(cryptography.exceptions.InvalidTag):
        sealing.open_text(sealed)
    monkeypatch.delenv("SIGNING_KEY_PASSPHRASE")
    with pytest.raises(RuntimeError, match="SIGNING_KEY_PASSPHRASE"):
        sealing.open_text(sealed)


def test_values_from_before_the_passphrase_read_back_as_they_are(monkeypatch):
    monkeypatch.setenv("SIGNING_KEY_PASSPHRASE", "one passphrase")
    assert sealing.open_text("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"
    column = sealing.SealedText()
    assert column.process_result_value(column.process_bind_param("seed", None), None) == "seed"
    assert column.process_bind_param(None, None) is None
