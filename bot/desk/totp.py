"""Time-based one-time codes (RFC 6238, pyotp) as a second factor: enrolment by QR code and
a code check that accepts the neighbouring 30-second steps but never the same code twice."""

from __future__ import annotations

from datetime import datetime

import pyotp
import segno

ISSUER = "wargabot desk"
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def uri(secret: str, username: str, office_id: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username}@{office_id}", issuer_name=ISSUER)


def qr_svg(text: str) -> str:
    """The QR code as inline SVG markup (no image route, no script)."""
    svg: str = segno.make_qr(text, error="m").svg_inline(scale=5, border=2)
    return svg


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step the code belongs to (now, or one step either side), or None when the code
    is wrong or was already used (a step at or before `last_step`)."""
    code = "".join(c for c in code if c.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None
