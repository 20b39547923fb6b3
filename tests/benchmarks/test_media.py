"""`wargabot bench media` runs end to end on a small photo and prints every figure it promises
(the figures themselves are for the README, not asserted)."""

from __future__ import annotations

from typing import Any

from bot.commands.main import main


def test_bench_media_prints_the_cost_of_encryption(capsys: Any) -> None:
    from benchmarks.media import bench_media

    bench_media(0.05, rounds=6)
    out = capsys.readouterr().out
    for line in (
        "AES-256-GCM encrypt",
        "AES-256-GCM decrypt",
        "MediaStore.put, plaintext (fsync)",
        "MediaStore.put, sealed    (fsync)",
        "MediaStore.read, sealed",
        "event loop, 6 puts of sealed    in a thread: 1 ms sleeps late by p50",
    ):
        assert line in out, out


def test_the_command_takes_a_size(capsys: Any) -> None:
    assert main(["bench", "media", "--mb", "0.02"]) == 0
    assert "a 0.02 MB photo" in capsys.readouterr().out
