"""Synthetic dossiers for the desk's tests: invented people, generated document photos stored in
a real media store, shaped exactly as the engine hands them over at submission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from bot.engine.model import AnswerItem, Dossier, MediaRef
from bot.media.store import MediaStore
from tests.kit import photo_factory as pf

SUBMITTED = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
_refs = count(1)
ALPHABET = "234679AHKMRWXY"


def reference(prefix: str, n: int | None = None) -> str:
    """A well-formed reference (check character included) from a counter."""
    from bot.engine.reference import _check_char

    n = next(_refs) if n is None else n
    body = ""
    for _ in range(8):
        n, i = divmod(n, len(ALPHABET))
        body += ALPHABET[i]
    body += _check_char(body)
    return f"{prefix}-{body[:3]}-{body[3:6]}-{body[6:]}"


def photo(media: MediaStore, seed: int) -> MediaRef:
    return media.put(pf.jpeg(pf.document(width=400, height=300, seed=seed)), "image/jpeg")


def gowa(
    media: MediaStore,
    name: str = "Nurhayati Daeng Caya",
    nik: str = "7306015203850002",
    kk: str = "7306010203150011",
    phone: str = "+6285299998888",
    ref: str | None = None,
    submitted: datetime = SUBMITTED,
    chat_id: str = "5551001",
) -> Dossier:
    ktp, kk_photo, house, family = (photo(media, s) for s in (1, 2, 3, 4))
    return Dossier(
        reference=ref or reference("GWA"),
        flow_id="gowa-kis-reaktivasi",
        flow_version=1,
        office="Dinas Sosial Kabupaten Gowa",
        service="Rekomendasi Pengaktifan Kembali KIS",
        language="id",
        channel="telegram",
        chat_id=chat_id,
        submitted_at=submitted,
        started_at=submitted - timedelta(minutes=12),
        answers=(
            AnswerItem("nama", "Nama lengkap", name, name),
            AnswerItem("nik", "NIK", nik, nik),
            AnswerItem("foto_ktp", "Foto KTP", [ktp.to_dict()], "1 foto"),
            AnswerItem("nomor_kk", "Nomor KK", kk, kk),
            AnswerItem("foto_kk", "Foto Kartu Keluarga", [kk_photo.to_dict()], "1 foto"),
            AnswerItem("dtks", "Terdaftar di DTKS/BDT", "sudah", "Sudah terdaftar"),
            AnswerItem("sakit", "Sedang sakit", "tidak", "Tidak"),
            AnswerItem("foto_rumah", "Foto rumah", [house.to_dict()], "1 foto"),
            AnswerItem("foto_keluarga", "Foto keluarga", [family.to_dict()], "1 foto"),
            AnswerItem("hp", "Nomor HP", phone, "0" + phone.removeprefix("+62")),
        ),
        photos=(
            ("foto_ktp", ktp),
            ("foto_kk", kk_photo),
            ("foto_rumah", house),
            ("foto_keluarga", family),
        ),
    )


def makassar(
    media: MediaStore,
    name: str = "Siti Aminah",
    nik: str = "7371014506900001",
    kk: str = "7371010101100021",
    phone: str = "+6281234567890",
    ref: str | None = None,
    submitted: datetime = SUBMITTED,
    photo_seed: int = 11,
) -> Dossier:
    kk_photo = photo(media, photo_seed)
    return Dossier(
        reference=ref or reference("MKS"),
        flow_id="makassar-kis-pbi",
        flow_version=1,
        office="Dinas Sosial Kota Makassar",
        service="Pendaftaran/Peralihan KIS PBI (APBD)",
        language="id",
        channel="whatsapp",
        chat_id="whatsapp:" + phone,
        submitted_at=submitted,
        started_at=submitted - timedelta(minutes=9),
        answers=(
            AnswerItem("jenis", "Jenis pengajuan", "baru", "Pendaftaran baru"),
            AnswerItem("nama", "Nama lengkap", name, name),
            AnswerItem("nik", "NIK", nik, nik),
            AnswerItem("nomor_kk", "Nomor KK", kk, kk),
            AnswerItem("foto_kk", "Foto Kartu Keluarga", [kk_photo.to_dict()], "1 foto"),
            AnswerItem("pekerjaan", "Pekerjaan kepala keluarga", "nelayan", "Nelayan"),
            AnswerItem("dtks", "Terdaftar di DTKS/DTSEN", "sudah", "Sudah terdaftar"),
            AnswerItem("hp", "Nomor HP", phone, "0" + phone.removeprefix("+62")),
            AnswerItem(
                "faskes", "Faskes pilihan", "Puskesmas Kassi-Kassi", "Puskesmas Kassi-Kassi"
            ),
        ),
        photos=(("foto_kk", kk_photo),),
    )
