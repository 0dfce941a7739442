"""Sealed values open only with the key they were sealed under, in the context they were sealed for,
and unaltered; their length says nothing but the plaintext's length."""

from __future__ import annotations

import pytest

from engine.sealing import SealBroken, Sealer


def test_a_sealed_value_opens_only_with_its_key_and_context_and_unaltered() -> None:
    sealer = Sealer("the app's secret key")
    sealed = sealer.seal(b"\x01\x00\x04", "appraisal-ballot:7")
    assert b"\x01\x00\x04" not in sealed and len(sealed) == 3 + 28
    assert Sealer("the app's secret key").open(sealed, "appraisal-ballot:7") == b"\x01\x00\x04"
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for opener, value, context in (
        (Sealer("another key"), sealed, "appraisal-ballot:7"),
        (sealer, sealed, "appraisal-ballot:8"),
        (sealer, altered, "appraisal-ballot:7"),
        (sealer, sealed[:10], "appraisal-ballot:7"),
    ):
        with pytest.raises(SealBroken):
            opener.open(value, context)


def test_the_same_value_sealed_twice_looks_different() -> None:
    sealer = Sealer(b"s3cret-material")
    assert sealer.seal(b"\x02", "c") != sealer.seal(b"\x02", "c")
    assert "s3cret" not in repr(sealer)
