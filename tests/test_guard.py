"""The write guard: a secret found during the run never reaches a file or the terminal, even when
redaction is bypassed."""

from __future__ import annotations

import pytest

from generator.redact import REGISTRY, fingerprint, redact_text
from generator.store import guard
from generator.store.yamlio import atomic_write


def test_the_guard_refuses_a_write_that_holds_a_found_secret(tmp_path):
    value = "sk_live_" + "Gq7LmZp2Ns8Kd4Vb6Wc9Yt1RaT3Blb"
    redact_text(f"key = {value}")  # found, so registered
    target = tmp_path / "out.yml"
    for text in (f"note: {value}\n", f"note: {value[5:17]}\n"):  # whole, or a 12-character window of it
        with pytest.raises(guard.SecretLeak) as refused:
            atomic_write(target, text)
        assert str(target) in str(refused.value) and fingerprint(value) in str(refused.value)
        assert value[5:17] not in str(refused.value) and not target.exists()
    atomic_write(target, "note: [redacted stripe_key sha256:000000000000]\n")  # a marker is fine
    assert target.exists()


def test_the_guard_lets_ordinary_text_through():
    redact_text("https://hook.eu1.make.com/" + "k7Qm2Xv9Lp4Rt8Wz1Bn6Cd3Fg5Hj0Ks")  # a Make webhook: its host is public
    assert len(REGISTRY) > 0
    assert guard.leak("https://hook.eu1.make.com/ and hooks.slack.com/services and sha256:abc") is None


def test_terminal_output_holding_a_secret_is_withheld(capsys):
    value = "ghp_" + "Zq8Lm2Np4Rs7Tv1Wx3Yz6Bc0Dg5Hj9Kk2Mq"
    redact_text(value)
    stream = guard.GuardedStream("stdout")
    stream.write(f"calling with {value}\n")
    stream.write("all fine\n")
    out = capsys.readouterr().out
    assert value[:12] not in out and fingerprint(value) in out and "all fine" in out


