"""Logs: one JSON object per line, and no NIK, KK number, phone number or name in them, with
whole conversations driven through the real webhooks at DEBUG; the masking rules on their own;
`wargabot serve` (uvicorn's own lines included) as a process."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.observe.logs import QUIET, JsonFormatter, TextFormatter, chat_ref, mask, setup_logging
from tests.kit import photo_factory as pf
from tests.kit.citizens import GOWA, MAKASSAR, Chat, Citizen
from tests.kit.fake_telegram import FakeTelegram, contact_update, user
from tests.kit.fake_twilio import AUTH_TOKEN, FakeTwilio, new_sid, signature
from tests.kit.ports import free_port
from tests.kit.serve import serve
from tests.kit.webapp import TOKEN, URL, running, telegram_env, whatsapp_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# --- the masking rules ----------------------------------------------------------------------

MASKED = [
    ("7371014506900001", "7371********0001"),
    ("NIK 7371 0145 0690 0001.", "NIK 7371********0001."),
    ("KK: 7371.0101.0203.0007", "KK: 7371********0007"),
    ("7371-0145-0690-0001", "7371********0001"),
    ("6271014506900001", "6271********0001"),  # a NIK from Kalimantan Tengah, not a phone
    ("whatsapp:+6281234567890", "whatsapp:+62812****7890"),
    ("+62 812-3456-7890", "+62812****7890"),
    ("6281234567890", "62812****7890"),
    ("0812 3456 7890", "0812****7890"),
    ("081234567890", "0812****7890"),
    ("0812345678", "0812****78"),  # short: at least 4 digits are always hidden
    ("(0411) 123-4567", "(0411****567"),
    ("0812+3456+7890", "0812****7890"),  # form-encoded spaces
    ("0812%203456%207890", "0812********7890"),  # URL-encoded spaces
    (
        "POST /x?To=whatsapp%3A%2B6281234567890&n=1",
        "POST /x?To=whatsapp%3A%2B62812****7890&n=1",
    ),
    ("id=7371014506900001&", "id=7371********0001&"),
    ("x7371014506900001y", "x7371********0001y"),
    # a NIK inside a longer number is hidden with the whole run, never cut out of it
    ("12347371014506900001", "1234************0001"),
    ("7371014506900001 081234567890", "7371********************7890"),
    ("/bot123456:" + "A" * 35 + "/sendMessage", "/bot123456:***/sendMessage"),
]
UNCHANGED = [
    "telegram:5551001",
    "update 12345678",  # up to 8 digits: not a NIK, KK or phone number
    "127.0.0.1:8080",
    "client 192.168.100.200:54321",
    "GWA-K7H-W3X-9AR",
    "wargabot ready: 2 flows",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_long_numbers_keep_only_a_few_digits(text: str, expected: str) -> None:
    assert mask(text) == expected
    assert mask(expected) == expected  # idempotent: masking twice changes nothing


@pytest.mark.parametrize("text", UNCHANGED)
def test_short_numbers_addresses_and_references_are_left_alone(text: str) -> None:
    assert mask(text) == text


def test_chat_references() -> None:
    assert chat_ref("telegram", "5551001") == "telegram:5551001"
    assert chat_ref("whatsapp", "whatsapp:+6281234567001") == "whatsapp:+62812****7001"


SEPARATORS = st.sampled_from(["", " ", ".", "-", "  ", ". ", "+", "%20"])
AROUND = st.text(alphabet="abcXYZ:/?=&%+ .-_()0123456789\n", max_size=12)


@given(
    nik=st.from_regex(r"\A[1-9][0-9]{15}\Z"),
    sep=SEPARATORS,
    groups=st.sampled_from([(4, 4, 4, 4), (6, 6, 4), (2, 2, 2, 6, 4), (16,)]),
    before=AROUND,
    after=AROUND,
)
def test_a_nik_never_survives_in_any_layout(
    nik: str, sep: str, groups: tuple[int, ...], before: str, after: str
) -> None:
    parts, i = [], 0
    for n in groups:
        parts.append(nik[i : i + n])
        i += n
    written = sep.join(parts)
    masked = mask(before + written + after)
    assert nik not in masked and written not in masked
    assert nik[4:12] not in masked  # the birth date and sex part is never shown
    assert mask(masked) == masked


@given(
    number=st.from_regex(r"\A8[1-9][0-9]{7,10}\Z"),
    prefix=st.sampled_from(["0", "62", "+62", "whatsapp:+62", "+62 ", "(0", "%2B62"]),
    sep=SEPARATORS,
    before=AROUND,
)
def test_a_phone_number_never_survives(number: str, prefix: str, sep: str, before: str) -> None:
    written = prefix + sep.join(number[i : i + 4] for i in range(0, len(number), 4))
    masked = mask(before + written)
    assert number not in masked and written not in masked
    assert masked.count("*") >= 4


def _record(msg: str, *args: object, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("wargabot.test", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_time_level_logger_message_and_masked_extras() -> None:
    record = _record(
        "chat %s sent %s",
        "whatsapp:+6281234567890",
        "7371014506900001",
        chat="whatsapp:+6281234567890",
        numbers=[7371014506900001, 12],
        dossier="GWA-K7H-W3X-9AR",
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    out = json.loads(line)
    assert out["level"] == "WARNING" and out["logger"] == "wargabot.test"
    assert out["message"] == "chat whatsapp:+62812****7890 sent 7371********0001"
    assert out["chat"] == "whatsapp:+62812****7890" and out["dossier"] == "GWA-K7H-W3X-9AR"
    assert out["numbers"] == ["7371********0001", 12]
    when = datetime.fromisoformat(out["time"])
    offset = when.utcoffset()
    assert offset is not None and offset.total_seconds() == 0
    assert abs(when.timestamp() - record.created) < 0.002


def test_tracebacks_are_masked_too() -> None:
    try:
        raise ValueError("'To' whatsapp:+6281234567890 is not valid, NIK 7371014506900001")
    except ValueError:
        record = _record("send failed")
        record.exc_info = sys.exc_info()
    for line in (json.loads(JsonFormatter().format(record))["exc"], TextFormatter().format(record)):
        assert "ValueError" in line and "whatsapp:+62812****7890" in line
        assert "6281234567890" not in line and "7371014506900001" not in line


def test_uvicorn_access_lines_are_masked_and_split_into_fields() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.5:51234", "GET", "/healthz?to=%2B6281234567890", "1.1", 200),
        None,
    )
    out = json.loads(JsonFormatter().format(record))
    assert out["path"] == "/healthz?to=%2B62812****7890" and out["status"] == 200
    assert out["method"] == "GET" and out["client"] == "10.0.0.5:51234"
    assert "6281234567890" not in json.dumps(out)
    text = TextFormatter().format(record)
    assert text.endswith('10.0.0.5:51234 - "GET /healthz?to=%2B62812****7890 HTTP/1.1" 200')


# --- whole conversations at DEBUG -----------------------------------------------------------


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every record of this process, at DEBUG, through the JSON formatter into a buffer."""
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", *QUIET)
    saved = {n: (logging.getLogger(n).level, logging.getLogger(n).propagate) for n in names}
    level = root.level
    buffer = io.StringIO()
    setup_logging("debug", "json", stream=buffer)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            if isinstance(handler.formatter, JsonFormatter | TextFormatter):
                root.removeHandler(handler)
        root.setLevel(level)
        for n, (lvl, propagate) in saved.items():
            logging.getLogger(n).setLevel(lvl)
            logging.getLogger(n).propagate = propagate


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    raw = buffer.getvalue().splitlines()
    assert raw, "nothing was logged"
    lines = [json.loads(line) for line in raw]  # every line is one JSON object
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
        assert line["time"].endswith("Z")
    return lines


def _national(phone: str) -> str:
    """The part of a phone number every way of writing it contains: 81234567890."""
    digits = re.sub(r"\D", "", phone)
    return digits.removeprefix("62") if digits.startswith("62") else digits.removeprefix("0")


def _assert_absent(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the logs"


async def test_a_telegram_application_logs_json_and_no_personal_data(
    tmp_path: Path, redis_url: str, tg: FakeTelegram, json_logs: io.StringIO
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5553001)
        for step in GOWA:
            if isinstance(step, tuple):
                await chat.photo(pf.jpeg(pf.document(seed=step[1])))
            else:
                await chat.say(step)
        update = contact_update(Chat.next_id(), chat.chat_id, "+6285299998888")
        assert await chat.post(update) == 200
        await app.settle()
        done = await chat.say("Kirim pengajuan")
    reference = re.search(r"GWA-[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", done[-1])
    assert reference is not None
    lines = _lines(json_logs)
    mine = [line for line in lines if line.get("chat") == "telegram:5553001"]
    assert any(line["message"] == "turn" and line["level"] == "DEBUG" for line in mine)
    submitted = [line for line in mine if line["message"] == "dossier submitted"]
    assert [line["dossier"] for line in submitted] == [reference.group(0)]
    assert submitted[0]["flow"] == "gowa-kis-reaktivasi"
    text = json_logs.getvalue()
    profile = user(chat.chat_id)
    _assert_absent(
        text,
        "7306015203850002",  # NIK
        "7306010203150011",  # KK number
        _national("+6285299998888"),  # the shared contact
        "Nurhayati",  # the name typed
        profile["first_name"],
        profile["last_name"],
        TOKEN.split(":")[1],  # the bot token (in every Bot API URL)
    )


async def test_a_whatsapp_application_logs_masked_chat_ids(
    tmp_path: Path, redis_url: str, tw: FakeTwilio, json_logs: io.StringIO
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234563001")
        for step in MAKASSAR:
            if isinstance(step, tuple):
                await citizen.photo(pf.jpeg(pf.document(seed=step[1])))
            else:
                await citizen.send(step)
        done = await citizen.send("1")
        assert "Nomor pengajuan: MKS-" in done[0]
    lines = _lines(json_logs)
    mine = [line for line in lines if line.get("chat") == "whatsapp:+62812****3001"]
    assert any(line["message"] == "dossier submitted" for line in mine)
    assert len(mine) > len(MAKASSAR)  # a line per turn, and the submission
    _assert_absent(
        json_logs.getvalue(),
        _national("+6281234563001"),  # the chat id
        "7371014506900001",
        "7371010203150007",
        _national("0812 3456 7890"),  # the phone number typed
        "0812 3456 7890",
        "Siti Aminah",
        "Kassi-Kassi",
        "Warga Uji",  # the WhatsApp profile name Twilio sends
    )


# --- `wargabot serve`: the process's own set-up, uvicorn's lines included ---------------------


async def test_serve_writes_json_lines_with_uvicorn_and_access_lines_masked(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    import httpx

    env = whatsapp_env(tmp_path, redis_url, tw) | {"LOG_LEVEL": "debug"}
    port, phone = free_port(), "+6281234563002"
    to = f"whatsapp:{phone}"
    log = tmp_path / "serve.log"
    with serve(env, port, log):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            params = tw.form_for(new_sid("SM"), phone, "halo")
            headers = {"X-Twilio-Signature": signature(AUTH_TOKEN, URL, params)}
            res = await client.post("/whatsapp/webhook", data=params, headers=headers)
            assert res.status_code == 200
            await tw.wait_for_messages(to, 1)
            assert (await client.get("/healthz", params={"to": to})).status_code == 200
    text = log.read_text()
    raw = [line for line in text.splitlines() if line.strip()]
    lines = [json.loads(line) for line in raw]  # nothing but JSON lines, uvicorn's included
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "uvicorn.access", "wargabot", "wargabot.funnel"} <= loggers
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    paths = {line["path"] for line in access}
    assert "/whatsapp/webhook" in paths
    assert "/healthz?to=whatsapp%3A%2B62812****3002" in paths
    assert any(line.get("chat") == "whatsapp:+62812****3002" for line in lines)
    assert _national(phone) not in text
    assert datetime.fromisoformat(lines[0]["time"]).tzinfo is not None
    assert datetime.fromisoformat(lines[0]["time"]) <= datetime.now(UTC)
