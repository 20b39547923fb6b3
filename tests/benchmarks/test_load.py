"""`wargabot bench load`: the harness itself, then one short run end to end (redis-server, the
fake Bot API and `wargabot serve` in their own processes)."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

from benchmarks.load import _SinkProtocol
from tests.kit.redis_server import RedisServer


class _Transport:
    def __init__(self) -> None:
        self.out = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out += data

    def close(self) -> None:
        self.closed = True


def _request(body: bytes) -> bytes:
    head = b"POST /bot1:x/sendMessage HTTP/1.1\r\nHost: a\r\ncontent-length: %d\r\n\r\n"
    return head % len(body) + body


def test_the_fake_bot_api_answers_split_and_pipelined_requests() -> None:
    sink = _SinkProtocol()
    transport: Any = _Transport()
    sink.connection_made(transport)
    one, two = _request(b'{"chat_id":1,"text":"a"}'), _request(b'{"chat_id":2,"text":"b"}')
    sink.data_received(one[:10])
    assert transport.out == b""  # half a request: nothing yet
    sink.data_received(one[10:] + two)  # the rest, and a second one behind it
    assert transport.out.count(b"HTTP/1.1 200 OK") == 2
    assert transport.out.count(b'"ok":true') == 2
    sink.data_received(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert transport.closed  # not something the benchmark sends: refused, not misread


def test_bench_load_reports_every_figure(redis_server: RedisServer) -> None:
    args = ["--seconds", "1", "--rate", "40", "--chats", "20", "--concurrency", "4"]
    res = subprocess.run(
        [sys.executable, "-m", "bot", "bench", "load", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    out = res.stdout
    sustained = re.search(r"sustained \(4 in flight\): ([\d,]+) updates/s.*errors (\d+)", out)
    assert sustained is not None, out
    assert int(sustained[1].replace(",", "")) > 20 and sustained[2] == "0", out
    offered = re.search(r"offered 40/s for 1 s: ([\d,]+) updates/s.*errors (\d+)", out)
    assert offered is not None and 30 <= int(offered[1]) <= 50 and offered[2] == "0", out
    cpu = re.search(r"CPU ms per update \(sustained phase\): server ([\d.]+),", out)
    assert cpu is not None and float(cpu[1]) > 0, out
    redis = re.search(r"Redis: (\d+) sessions, ([\d,]+) bytes per chat", out)
    assert redis is not None and redis[1] == "20", out  # every chat has its session
    assert 300 < int(redis[2].replace(",", "")) < 2048, out
    assert re.search(r"server resident memory: \d+ MB", out), out
