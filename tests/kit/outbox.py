"""Test parts for the office inbox: synthetic dossiers with generated photos, a real SMTP server
(aiosmtpd) that can be stopped, gated and restarted on its port, and an office webhook that
checks the signature the way an office's own system would."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.engine.model import AnswerItem, Dossier
from bot.media.store import MediaStore
from tests.kit import photo_factory as pf
from tests.kit.images import png
from tests.kit.ports import free_port

SUBMITTED = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)


def make_dossier(
    media: MediaStore,
    n: int = 1,
    photos: int = 2,
    channel: str = "telegram",
    chat_id: str = "5551001",
    lang: str = "id",
) -> Dossier:
    """A synthetic applicant (no real person): NIK and KK are made up, photos are generated."""
    refs = tuple(
        (
            "foto_kk" if i == 0 else "foto_rumah",
            media.put(pf.jpeg(pf.document(seed=n * 10 + i)), "image/jpeg"),
        )
        for i in range(photos)
    )
    answers = (
        AnswerItem("nama", "Nama kepala keluarga", "Budi Contoh", "Budi Contoh"),
        AnswerItem("nik", "NIK", "7371010101900001", "7371010101900001"),
        AnswerItem("no_kk", "Nomor KK", "7371010202020002", "7371010202020002"),
    )
    return Dossier(
        reference=f"MKS-TST-{n:04d}",
        flow_id="makassar-kis-pbi",
        flow_version=1,
        office="Dinas Sosial Kota Makassar",
        service="Pendaftaran KIS PBI (APBD)",
        language=lang,
        channel=channel,
        chat_id=chat_id,
        submitted_at=SUBMITTED,
        started_at=SUBMITTED,
        answers=answers,
        photos=refs,
    )


def message_ids(messages: list[bytes]) -> list[str]:
    return [
        str(email.message_from_bytes(m, policy=email.policy.default)["Message-ID"])
        for m in messages
    ]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, smtp: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        gate = self.server.gate
        if gate is not None:
            self.server.waiting.set()
            while not gate.is_set():
                await asyncio.sleep(0.01)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            self.server.messages.append(bytes(envelope.original_content or envelope.content))
            self.server.logins.append(getattr(session, "auth_data", None))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a fixed port: stop() and start() again to play a mail server that is down."""

    def __init__(
        self,
        port: int | None = None,
        users: dict[str, str] | None = None,
        tls: Any = None,
        implicit_tls: bool = False,
    ) -> None:
        self.port = port or free_port()
        self.users = users
        self.tls, self.implicit_tls = tls, implicit_tls
        self.messages: list[bytes] = []
        self.logins: list[Any] = []
        self.lock = threading.Lock()
        self.gate: threading.Event | None = None  # set: RCPT waits until the gate opens
        self.waiting = threading.Event()
        self._controller: Controller | None = None

    def _auth(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if (
            isinstance(data, LoginPassword)
            and self.users is not None
            and self.users.get(data.login.decode()) == data.password.decode()
        ):
            return AuthResult(success=True, auth_data=data.login.decode())
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.users is not None:
            kwargs |= {"authenticator": self._auth, "auth_required": True}
            # with implicit TLS the whole socket is encrypted; aiosmtpd only tracks STARTTLS
            kwargs["auth_require_tls"] = self.tls is not None and not self.implicit_tls
        if self.tls is not None and not self.implicit_tls:
            kwargs["tls_context"] = self.tls
        if self.implicit_tls:
            kwargs["ssl_context"] = self.tls
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with openssl (the CA file the client is told to trust)."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class OfficeWebhook:
    """The office's own system: accepts a dossier only with a valid signature, once per key."""

    secret: str
    status: int = 200  # what it answers to a correctly signed call
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers.get("X-Wargabot-Timestamp", "")
        expected = hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        given = request.headers.get("X-Wargabot-Signature", "")
        if not hmac.compare_digest(given, "sha256=" + expected.hexdigest()):
            self.refused += 1
            return web.Response(status=401, text="bad signature")
        if self.status >= 300:
            return web.Response(status=self.status)
        self.received.append(
            {"key": request.headers.get("Idempotency-Key"), "record": json.loads(body)}
        )
        return web.Response(status=201)

    async def start(self) -> OfficeWebhook:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/dossiers", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/dossiers"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def sample_dossier(media: MediaStore) -> Dossier:
    a, b = media.put(png(seed=1), "image/png"), media.put(png(seed=2), "image/png")
    return Dossier(
        reference="GWA-K7H-W3X-9AR",
        flow_id="gowa-kis-reaktivasi",
        flow_version=1,
        office="Dinas Sosial Kabupaten Gowa",
        service="Rekomendasi Pengaktifan Kembali KIS",
        language="en",
        channel="telegram",
        chat_id="42",
        submitted_at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC),
        started_at=datetime(2026, 11, 22, 23, 0, tzinfo=UTC),
        answers=(
            AnswerItem("nama", "Nama lengkap", "Nur <b>Hayati</b>", "Nur <b>Hayati</b>"),
            AnswerItem("foto_rumah", "Foto kondisi rumah", [a.to_dict(), b.to_dict()], "2 foto"),
        ),
        photos=(("foto_rumah", a), ("foto_rumah", b)),
    )
