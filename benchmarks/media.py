"""`wargabot bench media`: what encryption at rest costs per photo, and how late the event loop
runs while photos are stored from worker threads. Prints numbers; nothing here is a test."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.media.keyring import Keyring, new_key
from bot.media.store import MediaStore

MB = 1024 * 1024


def _photo(size: int) -> bytes:
    """`size` random bytes behind a JPEG signature (AES-GCM's cost does not depend on content)."""
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU (this thread's) milliseconds of one call."""
    wall, cpu = time.perf_counter(), time.thread_time()
    run()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def _medians(samples: list[tuple[float, float]]) -> str:
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    return f"{wall:6.2f} ms wall, {cpu:5.2f} ms CPU"


async def _lateness(store: MediaStore, photos: list[bytes]) -> list[float]:
    """Store the photos one by one in a thread (as intake does) while the loop asks to wake every
    millisecond; how late each wake-up was, in ms."""
    late: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            due = time.perf_counter() + 0.001
            await asyncio.sleep(0.001)
            late.append((time.perf_counter() - due) * 1000)

    task = asyncio.create_task(ticker())
    for data in photos:
        await asyncio.to_thread(store.put, data, "image/jpeg")
    done.set()
    await task
    return late


def bench_media(size_mb: float = 1.0, rounds: int = 60) -> None:
    size = int(size_mb * MB)
    ring = Keyring(new_key())
    data = _photo(size)
    sealed = ring.seal(data, "ab/photo.jpg")
    print(f"encryption at rest, a {size_mb:g} MB photo, medians of {rounds} rounds")
    seal = [_timed(lambda: ring.seal_parts(data, "ab/photo.jpg")) for _ in range(rounds)]
    opened = [_timed(lambda: ring.open(sealed, "ab/photo.jpg")) for _ in range(rounds)]
    print(f"  AES-256-GCM encrypt               {_medians(seal)}")
    print(f"  AES-256-GCM decrypt               {_medians(opened)}")
    with tempfile.TemporaryDirectory() as tmp:
        stores = {
            "plaintext": MediaStore(Path(tmp) / "plain"),
            "sealed": MediaStore(Path(tmp) / "sealed", ring),
        }
        puts: dict[str, list[tuple[float, float]]] = {name: [] for name in stores}
        reads: dict[str, list[tuple[float, float]]] = {name: [] for name in stores}
        for _ in range(rounds):  # interleaved, so both see the same disk and the same neighbours
            photo = _photo(size)
            for name, store in stores.items():
                puts[name].append(_timed(partial(store.put, photo, "image/jpeg")))
                ref = store.put(photo, "image/jpeg")
                reads[name].append(_timed(partial(store.read, ref)))
        for name in stores:
            print(f"  MediaStore.put, {name:<9} (fsync) {_medians(puts[name])}")
            print(f"  MediaStore.read, {name:<9}        {_medians(reads[name])}")
        late: dict[str, list[float]] = {name: [] for name in stores}
        for _ in range(3):
            for name, store in stores.items():
                batch = [_photo(size) for _ in range(rounds // 3)]
                late[name] += asyncio.run(_lateness(store, batch))
        for name in stores:
            ms = sorted(late[name])
            p99, worst = ms[int(len(ms) * 0.99)], ms[-1]
            print(
                f"  event loop, {rounds} puts of {name:<9} in a thread: 1 ms sleeps late by "
                f"p50 {statistics.median(ms):4.2f}, p99 {p99:5.2f}, worst {worst:5.2f} ms"
            )
