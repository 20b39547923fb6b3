"""A small valid flow: the base the broken copies in tests/authoring/flows_invalid/ differ from
by one thing each, and a start for tests that need a flow of their own."""

VALID_FLOW = """\
id: uji-mini
version: 1
reference_prefix: UJI

office:
  id: dinsos_uji
  name: Dinas Sosial Kabupaten Uji
  address: Jalan Contoh Nomor 1, Kota Uji 90000

service:
  title: Layanan Uji
  product: Surat Keterangan Uji
  cost: Gratis, tidak dipungut biaya.
  duration: 1 hari kerja.
  requirements:
    - Foto Kartu Keluarga (KK).
  procedure:
    - Petugas memeriksa berkas Anda.
  after_submit: Petugas akan menghubungi Anda bila ada yang kurang.
  complaints:
    - "Datang langsung: Dinas Sosial Kabupaten Uji"

steps:
  - id: nama
    kind: text
    label: Nama lengkap
    ask: Siapa nama lengkap Anda?

  - id: status
    kind: choice
    label: Jenis pengajuan
    ask: Apakah ini pengajuan baru, perpanjangan, atau pindahan?
    options:
      - value: baru
        label: Pengajuan baru
      - value: lama
        label: Perpanjangan
      - value: pindah
        label: Pindahan
    next:
      lama: stop_lama
      else: hp

  - id: stop_lama
    kind: end
    ask: Perpanjangan diurus langsung di kantor. Ketik "menu" untuk kembali.

  - id: hp
    kind: phone
    label: Nomor HP
    ask: Nomor HP yang bisa dihubungi petugas?
"""
