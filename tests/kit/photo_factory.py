"""Synthetic photos for the media intake tests, drawn with Pillow: white paper, black bars that
look like lines of text, a few boxes. No real document or person ever enters the tests."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter


def document(width: int = 1600, height: int = 1200, seed: int = 0, ink: int = 20) -> Image.Image:
    """A form-like page: a header, a photo box, ruled lines and rows of word-sized bars."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (width, height), (245, 245, 240))
    draw = ImageDraw.Draw(img)
    u = max(1, min(width, height) // 120)  # one "stroke" in pixels
    colour = (ink, ink, ink)
    draw.rectangle((3 * u, 3 * u, width - 3 * u, height - 3 * u), outline=colour, width=u)
    draw.rectangle((6 * u, 6 * u, width // 2, 12 * u), fill=colour)  # title
    photo = (width - 30 * u, 16 * u, width - 8 * u, 44 * u)
    draw.rectangle(photo, outline=colour, width=u)
    y = 18 * u
    while y < height - 10 * u:
        x = 8 * u
        right = photo[0] - 4 * u if y < photo[3] + 2 * u else width - 8 * u
        while x < right - 6 * u:
            word = rnd.randint(3, 12) * u
            draw.rectangle((x, y, min(x + word, right), y + 2 * u), fill=colour)
            x += word + 2 * u
        draw.line((8 * u, y + 4 * u, right, y + 4 * u), fill=colour, width=max(1, u // 2))
        y += 7 * u
    return img


def house(width: int = 1600, height: int = 1200, seed: int = 0) -> Image.Image:
    """A crude outdoor scene (sky gradient, wall, roof, door, window, fence), no text at all."""
    rnd = random.Random(seed)
    sky = Image.linear_gradient("L").resize((width, height)).point(lambda v: 255 - v // 3)
    img = Image.merge("RGB", (sky.point(lambda v: v // 2), sky.point(lambda v: v - 40), sky))
    draw = ImageDraw.Draw(img)
    ground = int(height * 0.75)
    draw.rectangle((0, ground, width, height), fill=(90, 120, 60))
    left, right, top = width // 5, width * 4 // 5, height // 3
    draw.rectangle((left, top, right, ground), fill=(200, 180, 150))
    draw.polygon(
        [(left - 40, top), (width // 2, height // 8), (right + 40, top)], fill=(150, 50, 40)
    )
    draw.rectangle((width // 2 - 60, ground - 220, width // 2 + 60, ground), fill=(80, 50, 30))
    draw.rectangle((left + 60, top + 60, left + 260, top + 200), fill=(60, 80, 110), outline=0)
    for x in range(0, width, 40):
        draw.rectangle((x, ground - 60, x + 12, ground + 10), fill=(230, 230, 230))
    for _ in range(300):  # grass blades
        x, y = rnd.randrange(width), rnd.randrange(ground, height)
        draw.line((x, y, x + rnd.randint(-6, 6), y - 20), fill=(40, 90, 30), width=2)
    return img


def blurred(img: Image.Image, radius: float) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(radius))


def darkened(img: Image.Image, factor: float = 0.12) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(factor)


def encode(img: Image.Image, fmt: str = "JPEG", **params: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def jpeg(img: Image.Image, quality: int = 92, **params: Any) -> bytes:
    return encode(img, "JPEG", quality=quality, **params)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int, idat: bytes = b"garbage") -> bytes:
    """A PNG whose header claims width x height but whose pixel data is nonsense: decoding it
    fails, so it can only be refused for its size if the size is checked before decoding."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat)


def png_bomb(side: int = 20000) -> bytes:
    """A valid single-colour 1-bit PNG of side x side pixels: a few tens of KB on disk,
    side * side pixels (400 M for the default) once decoded."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    z = zlib.compressobj(9)
    block = row * 1000
    body = b"".join(z.compress(block) for _ in range(side // 1000))
    body += z.compress(row * (side % 1000)) + z.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def webp_bomb() -> bytes:
    """A valid lossless WEBP of 9000 x 9000 white pixels (81 M) in 38 bytes, as written by
    encode(Image.new("L", (9000, 9000), 255), "WEBP", lossless=True, method=0, quality=0)."""
    return bytes.fromhex(
        "524946461e000000574542505650384c110000002f27e3c90807d0fffef7bfff8188e87f0000"
    )


def pdf(pages: int = 1) -> bytes:
    objs = b"".join(b"%d 0 obj<<>>endobj\n" % (i + 1) for i in range(pages))
    return b"%PDF-1.7\n" + objs + b"trailer<<>>\nstartxref\n0\n%%EOF\n"
