"""Media intake: checks every photo or PDF a citizen sends; photos come back as small clean JPEGs.
It must never trust a name or content type, decode pixels before the size checks, keep metadata."""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

from bot.engine.model import REJECT_REASONS, MediaRef
from bot.media.store import MediaStore, sniff

_PILLOW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

ANALYSIS_SIDE = 1024
"""The quality checks run on a grayscale copy whose longer side is at most this many pixels."""

_LAPLACE = ImageFilter.Kernel((3, 3), (0, -1, 0, -1, 4, -1, 0, -1, 0), scale=1)
_LAPLACE_NEG = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1)
_EDGE_CONTRAST = 32  # a pixel whose 5x5 neighbourhood spans fewer grey levels is not on an edge
_MIN_EDGE_SHARE = 0.002  # fewer edge pixels than this share of the picture: nothing is in focus


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    """Width x height, read from the header: the decompression-bomb guard (Pillow's own is 89 M)."""
    min_side: int = 480
    """A photo whose shorter side is smaller cannot be read: "too_small"."""
    max_side: int = 2000
    """The longer side of the JPEG that is kept."""
    jpeg_quality: int = 85
    dark_threshold: float = 45.0
    """Mean luma (0-255) below which a photo is "too_dark"; a lit page is well above 120."""
    blur_threshold: float = 0.12
    """`sharpness()` below which a photo is "blurry". Generated pages score 1.0, a page seen through
    phone-like optics (Gaussian blur 1-2 px at 4000 px, noise, JPEG) 0.45-0.7; a Gaussian blur of
    sigma ~2 px at the 1024-px analysis scale (4 px on the 2000-px output) scores below 0.12."""


class Rejected(Exception):
    """The file is refused; `reason`, one of REJECT_REASONS, picks the advice for the citizen."""

    def __init__(self, reason: str) -> None:
        if reason not in REJECT_REASONS:
            raise ValueError(f"unknown reject reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


def clean(data: bytes, limits: Limits = Limits()) -> tuple[bytes, str]:
    """Check `data` and return (bytes to keep, mime). CPU-bound: call it off the event loop.

    PDFs are kept as sent; JPEG/PNG/WEBP come back as a metadata-free, upright JPEG. Raises
    Rejected and nothing else."""
    if len(data) > limits.max_bytes:
        raise Rejected("too_large")
    mime = sniff(data)
    if mime == "application/pdf":
        if b"%%EOF" not in data[-1024:]:
            raise Rejected("format")  # truncated upload, or not really a PDF
        return data, mime
    fmt = _PILLOW_FORMAT.get(mime or "")
    if fmt is None:
        raise Rejected("format")
    try:
        return _clean_image(data, fmt, limits), "image/jpeg"
    except Rejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Rejected("too_many_pixels") from exc
    except Exception as exc:  # truncated or corrupt: Pillow raises OSError, SyntaxError, ...
        raise Rejected("format") from exc


async def intake(data: bytes, store: MediaStore, limits: Limits = Limits()) -> MediaRef:
    """Clean and store one file in worker threads, so a large photo never stalls the event loop."""
    cleaned, mime = await asyncio.to_thread(clean, data, limits)
    return await asyncio.to_thread(store.put, cleaned, mime)


def _clean_image(data: bytes, fmt: str, limits: Limits) -> bytes:
    if fmt == "WEBP":
        # libwebp allocates the whole canvas inside Image.open(), so check its header first.
        size = _webp_size(data)
        if size is None:
            raise Rejected("format")
        _check_size(*size, limits)
    with Image.open(io.BytesIO(data), formats=[fmt]) as img:
        width, height = img.size  # from the header; no pixel is decoded yet
        _check_size(width, height, limits)
        longer = max(width, height)
        if fmt == "JPEG" and longer > limits.max_side:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, never below max_side.
            scale = limits.max_side / longer
            img.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        img.load()
        photo = _flatten(img)
    photo.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    photo = _upright(photo)

    gray = photo.convert("L")
    gray.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE), Image.Resampling.BOX)
    if ImageStat.Stat(gray).mean[0] < limits.dark_threshold:
        raise Rejected("too_dark")
    if sharpness(gray) < limits.blur_threshold:
        raise Rejected("blurry")

    # A new image has an empty `info`: Pillow's JPEG writer would otherwise copy a comment from
    # it, and a converted or transposed image keeps the source's EXIF (GPS), ICC and XMP there.
    bare = Image.new("RGB", photo.size)
    bare.paste(photo)
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=limits.jpeg_quality, optimize=True)
    return out.getvalue()


def _check_size(width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels:
        raise Rejected("too_many_pixels")
    if min(width, height) < limits.min_side:  # the shorter side does not change on rotation
        raise Rejected("too_small")


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """Canvas size from a WEBP header (lossy VP8, lossless VP8L or extended VP8X)."""
    if len(data) < 30:
        return None
    chunk, le = data[12:16], int.from_bytes
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return le(data[26:28], "little") & 0x3FFF, le(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = le(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return le(data[24:27], "little") + 1, le(data[27:30], "little") + 1
    return None


def _flatten(img: Image.Image) -> Image.Image:
    """RGB, with transparent areas (a PNG scan, a screenshot) on white paper instead of black."""
    if not img.has_transparency_data:
        return img.convert("RGB")
    rgba = img.convert("RGBA")
    paper = Image.new("RGB", rgba.size, (255, 255, 255))
    paper.paste(rgba, mask=rgba)
    return paper


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation. Unreadable EXIF (some camera apps) is ignored, not refused."""
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except Exception:
        return img
    return img


def sharpness(gray: Image.Image) -> float:
    """How crisp the edges of a grayscale picture are, about 0 (smeared) to 1 (a perfect step).

    Among edge pixels (whose 5x5 neighbourhood spans >= 32 grey levels), the 90th percentile of
    |Laplacian| divided by the 90th percentile of that local range. A sharp step of contrast C
    has a Laplacian of ~C right next to it, so the ratio is ~1; blur spreads the step, and the
    Laplacian falls with the square of the blur width while the local range barely moves. Both
    are measured on the same pixels, so the ratio depends neither on how much text is on the
    page nor on its contrast. A picture with almost no edges at all scores 0."""
    lap = ImageChops.lighter(gray.filter(_LAPLACE), gray.filter(_LAPLACE_NEG))
    spread = _spread(gray, ImageChops.lighter)
    local_range = ImageChops.subtract(spread, _spread(gray, ImageChops.darker))
    # Pillow leaves a kernel's border pixels unfiltered and _spread wraps around: drop 2 px.
    box = (2, 2, gray.width - 2, gray.height - 2)
    lap, local_range = lap.crop(box), local_range.crop(box)
    edges = local_range.point(lambda v: 255 if v >= _EDGE_CONTRAST else 0)
    share = edges.histogram()[255] / max(1, edges.width * edges.height)
    if share < _MIN_EDGE_SHARE:
        return 0.0
    contrast = _percentile(local_range.histogram(edges), 0.9)
    return _percentile(lap.histogram(edges), 0.9) / max(1, contrast)


def _spread(
    gray: Image.Image, pick: Callable[[Image.Image, Image.Image], Image.Image]
) -> Image.Image:
    """5x5 maximum (pick=lighter) or minimum (pick=darker), as two separable passes of shifted
    copies: about 20 times faster than ImageFilter.MaxFilter(5) and identical inside the border."""
    out = gray
    for dx in (1, -1, 2, -2):
        out = pick(out, ImageChops.offset(gray, dx, 0))
    rows = out
    for dy in (1, -1, 2, -2):
        out = pick(out, ImageChops.offset(rows, 0, dy))
    return out


def _percentile(histogram: list[int], q: float) -> int:
    total, seen = sum(histogram), 0
    for value, count in enumerate(histogram):
        seen += count
        if seen >= q * total:
            return value
    return len(histogram) - 1
