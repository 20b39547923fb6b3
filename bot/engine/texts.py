"""Every citizen-facing sentence the engine itself says, as Indonesian msgids.
Only constants live here: `ENGINE_TEXTS` feeds the catalog extraction and the translation check."""

from __future__ import annotations

GREETING = (
    "Halo! Saya wargabot, layanan pengajuan Dinas Sosial lewat chat. Semua layanan ini GRATIS."
)
LANGUAGE_HINT = 'Ketik "bahasa" untuk English.'
PRIVACY = (
    "Sebelum mulai: untuk pengajuan, saya akan meminta nama, NIK, nomor KK, nomor HP, foto dokumen "
    "(KK, KTP, surat) dan, untuk layanan tertentu, foto rumah dan keluarga. Data ini hanya dipakai "
    "Dinas Sosial untuk memproses pengajuan Anda dan dilindungi UU No. 27 Tahun 2022 tentang "
    "Pelindungan Data Pribadi. Bila Anda tidak setuju, tidak ada data yang disimpan."
)
CONSENT_ASK = "Apakah Anda setuju data Anda dipakai untuk pengajuan ini?"
CONSENT_YES = "Ya, setuju"
CONSENT_NO = "Tidak setuju"
CONSENT_UNCLEAR = "Mohon pilih 1 bila setuju, atau 2 bila tidak setuju."
DECLINED = (
    "Baik, tidak ada data Anda yang disimpan. Bila berubah pikiran, kirim pesan apa saja untuk "
    "mulai lagi."
)
CHOOSE_OFFICE = "Pilih kantor Dinas Sosial tujuan pengajuan Anda:"
CHOOSE_SERVICE = "Pilih layanan di {office}:"
RESUME = "Lanjutkan pengajuan: {service}"
DRAFT_DISCARDED = "Pengajuan sebelumnya ({service}) dihapus. Kita mulai layanan baru."
ALREADY_MENU = "Ini sudah menu utama."
REQUIREMENTS = "{service}\n{office}\n\nPersyaratan:\n{items}\n\nBiaya: {cost}\nWaktu: {duration}"
REQUIREMENTS_ASK = (
    "Siapkan dokumen di atas. Saya akan menanyakannya satu per satu; foto dokumen dikirim "
    "lewat chat ini. Mulai sekarang?"
)
NOT_READY = 'Baik, siapkan dulu dokumennya. Jawaban Anda tersimpan; ketik "mulai" bila sudah siap.'
START = "Mulai"
BACK_TO_MENU = "Kembali ke menu"
YES = "Ya"
NO = "Tidak"
DONE = "Selesai"
SKIP = "Lewati"
KEEP_PHOTO = "Pakai foto sebelumnya"
SHARE_CONTACT = "Kirim nomor HP saya"
BACK = "Kembali"
MENU = "Menu"

HOW_CHOICE = "Balas dengan nomor pilihan (misalnya 1) atau tulis pilihannya."
HOW_YES_NO = 'Balas "ya" atau "tidak", atau nomor pilihannya.'
HOW_PHOTO = (
    "Cara mengirim foto: tekan ikon lampiran (klip kertas) atau kamera, ambil atau pilih foto, "
    "lalu kirim. Foto harus terang, tidak buram, dan semua tulisan terbaca. File PDF juga bisa."
)
HOW_PHOTOS = 'Anda bisa mengirim beberapa foto, lalu ketik "selesai".'
HOW_TEXT = "Balas dengan mengetik jawabannya."
HOW_SKIP = 'Bila tidak ada, ketik "lewati".'
NOT_UNDERSTOOD = "Maaf, saya belum mengerti jawaban itu."
NEED_TEXT = (
    "Terima kasih, tetapi untuk pertanyaan ini saya perlu jawaban berupa tulisan, bukan foto."
)
NEED_PHOTO = "Untuk langkah ini saya perlu foto atau file PDF."
TEXT_TOO_SHORT = "Jawaban itu terlalu pendek. Mohon tulis lengkap."
TEXT_TOO_LONG = "Jawaban itu terlalu panjang (paling banyak {max} huruf). Mohon persingkat."
MISSING_DEFAULT = (
    "Dokumen ini wajib untuk pengajuan. Kirim fotonya di sini bila sudah ada; percakapan Anda "
    "tersimpan."
)
PHOTO_RECEIVED = 'Foto diterima ({count}). Kirim foto lain, atau ketik "selesai" bila sudah semua.'
PHOTO_LIMIT = "Sudah {count} foto, batas untuk langkah ini."
PHOTO_NONE_YET = "Belum ada foto yang diterima untuk langkah ini. Kirim minimal satu foto."
PHOTO_EXTRA = (
    "Saya menerima {count} file; untuk langkah ini yang dipakai {kept} yang pertama. Bila salah, "
    'ketik "kembali" lalu kirim ulang.'
)
HOW_PAGES = "Bila lebih dari satu halaman, kirim semua halaman sekaligus (paling banyak {max})."
PHOTO_COUNT = "{count} foto/file"
SKIPPED = "(dilewati)"
REJECTED_FORMAT = (
    "File ini bukan foto atau PDF yang bisa dibaca. Kirim foto (JPG atau PNG) atau PDF."
)
REJECTED_TOO_LARGE = (
    "File ini terlalu besar. Kirim foto biasa dari kamera HP, atau PDF yang lebih kecil (di bawah "
    "10 MB)."
)
REJECTED_TOO_MANY_PIXELS = (
    "Ukuran gambar ini terlalu besar untuk diproses. Kirim foto biasa dari kamera HP."
)
REJECTED_TOO_SMALL = (
    "Foto terlalu kecil untuk dibaca. Foto lebih dekat sampai dokumen memenuhi layar, lalu kirim "
    "lagi."
)
REJECTED_TOO_DARK = (
    "Foto terlalu gelap. Foto di tempat yang terang atau dekat jendela, tanpa bayangan, lalu "
    "kirim lagi."
)
REJECTED_BLURRY = (
    "Foto buram. Pegang HP dengan mantap, sentuh layar di bagian dokumen supaya fokus, lalu foto "
    "dan kirim lagi."
)
REJECTED_UNAVAILABLE = "Maaf, file itu tidak bisa saya ambil. Mohon kirim sekali lagi."
UNSUPPORTED_STICKER = "Maaf, saya tidak bisa membaca stiker."
UNSUPPORTED_VOICE = "Maaf, saya belum bisa mendengarkan pesan suara. Mohon ketik jawabannya."
UNSUPPORTED_LOCATION = "Terima kasih, tetapi lokasi tidak diperlukan."
UNSUPPORTED_VIDEO = "Maaf, video tidak bisa diterima. Kirim foto saja."
UNSUPPORTED_OTHER = "Maaf, jenis pesan ini tidak bisa saya baca."

SUMMARY = "Periksa kembali pengajuan Anda:\n{service} — {office}\n\n{items}"
SUMMARY_ASK = "Bila semua sudah benar, pilih Kirim pengajuan. Bila ada yang salah, pilih Ubah."
SUBMIT = "Kirim pengajuan"
EDIT = "Ubah jawaban atau foto"
EDIT_ASK = 'Pilih nomor yang ingin diubah (ketik "kembali" bila tidak jadi):'
CURRENT_ANSWER = (
    'Jawaban sekarang: {answer}. Kirim jawaban baru, atau ketik "kembali" bila tidak diubah.'
)
END_HOW = 'Pilih "Kembali" untuk mengubah jawaban tadi, atau "Menu" untuk ke menu utama.'
CHANGE_EARLIER = 'Untuk mengubah jawaban sebelumnya, ketik "kembali".'
PHOTO_TOO_EARLY = "Terima kasih. Pilih Mulai dulu; foto akan saya minta pada langkahnya."
CANCEL_ASK = "Batalkan pengajuan ini? Semua jawaban dan foto Anda akan dihapus."
CANCEL_YES = "Ya, batalkan"
CANCEL_NO = "Tidak, lanjutkan"
CANCELLED = "Pengajuan dibatalkan dan data Anda dihapus."
NOTHING_TO_CANCEL = "Tidak ada pengajuan yang sedang berjalan."
SUBMITTED = (
    "Terima kasih, pengajuan Anda sudah kami terima dan akan diteruskan ke {office}.\n\n"
    "Nomor pengajuan: {reference}\n"
    "Simpan nomor ini untuk menanyakan pengajuan Anda."
)
OFFICE_RECEIVED = (
    "Pengajuan {reference} sudah masuk ke kotak masuk {office}. Petugas akan memeriksanya; "
    "simpan nomor ini untuk menanyakan perkembangannya."
)
DELIVERY_DELAYED = (
    "Mohon maaf, pengajuan {reference} belum bisa kami teruskan ke {office} karena gangguan "
    "sistem. Data Anda tetap tersimpan dan petugas kami sudah diberi tahu; Anda tidak perlu "
    "mengirim ulang. Kami akan mengabari Anda begitu pengajuan diterima."
)
NEXT = "Selanjutnya: {after}"
FREE = (
    "Layanan ini GRATIS, tidak dipungut biaya. Jangan memberi uang kepada siapa pun yang "
    "menjanjikan percepatan."
)
COMPLAINTS = "Pengaduan, saran dan masukan:\n{items}"
ALREADY_SUBMITTED = (
    'Pengajuan Anda dengan nomor {reference} sudah kami terima. Ketik "menu" untuk pengajuan lain.'
)
HELP_COMMANDS = (
    "Perintah yang bisa dipakai kapan saja:\n"
    "menu: pilih layanan\n"
    "kembali: ke langkah sebelumnya\n"
    "batal: batalkan pengajuan\n"
    "bantuan: bantuan ini\n"
    "bahasa: ganti bahasa (English)\n"
    "status: status pengajuan Anda\n"
    "data saya: data yang disimpan tentang Anda\n"
    "hapus data saya: minta data Anda dihapus"
)
SESSION_EXPIRED = (
    "Percakapan Anda sebelumnya sudah lebih dari {days} hari tidak dilanjutkan, jadi datanya "
    "sudah dihapus. Kita mulai lagi dari awal."
)
FIRST_STEP = "Anda kembali ke awal pengajuan; jawaban Anda tetap tersimpan."
LANGUAGE_SET = "Bahasa: Bahasa Indonesia."
CHOOSE_LANGUAGE = "Pilih bahasa:"
STALE_BUTTON = "Tombol itu untuk pertanyaan sebelumnya."
CLARIFY = "Maaf, maksud Anda yang mana?"
CONSENT_HELP = (
    "Data Anda hanya dipakai petugas Dinas Sosial untuk memeriksa dan memproses pengajuan ini, "
    "dan dilindungi UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi. Tanpa persetujuan "
    "Anda, pengajuan lewat chat tidak bisa dilanjutkan; Anda tetap bisa datang langsung ke "
    "kantor Dinas Sosial."
)
WHY_ASKED = "Jawaban ini diperlukan petugas Dinas Sosial untuk memeriksa pengajuan Anda."
DONT_KNOW_NOTE = "Bila belum yakin, pilih yang paling sesuai; petugas akan memeriksanya lagi."
TEXT_NOT_AN_ANSWER = "Mohon tulis jawabannya dengan kata-kata."
TEXT_VAGUE = "Yang mana? Mohon tulis namanya, supaya petugas tahu yang Anda maksud."
NAME_NOT_A_NAME = "Mohon tulis nama lengkap seperti di KTP, misalnya: Siti Aminah."
NAME_DIGITS = "Nama tidak berisi angka. Mohon tulis nama lengkap seperti di KTP."
PHOTO_WAITING = 'Baik, kirim foto berikutnya. Ketik "selesai" bila sudah semua.'
# Said by the runtime when handling a message failed unexpectedly (bot/runtime/).
TROUBLE = "Maaf, ada gangguan. Silakan kirim lagi pesan terakhir Anda."

# Messages returned by the understanding layer (bot/engine/understanding/).
NIK_NOT_DIGITS = "NIK hanya berisi angka. Ketik 16 angka NIK seperti tertulis di KTP/KK."
NIK_LENGTH = "NIK harus 16 angka, yang Anda kirim {count} angka. Periksa lagi di KTP/KK."
NIK_REGION = "6 angka pertama NIK (kode wilayah) tidak dikenal. Periksa lagi di KTP/KK."
NIK_DATE = "Angka ke-7 sampai ke-12 NIK (tanggal lahir) tidak sesuai. Periksa lagi di KTP/KK."
NIK_SERIAL = "4 angka terakhir NIK tidak boleh 0000. Periksa lagi di KTP/KK."
KK_NOT_DIGITS = "Nomor KK hanya berisi angka. Ketik 16 angka di bagian atas KK."
KK_LENGTH = "Nomor KK harus 16 angka, yang Anda kirim {count} angka. Lihat di bagian atas KK."
KK_FORMAT = "Nomor KK ini tidak sesuai format. Periksa lagi di bagian atas KK."
KK_IS_NIK = (
    "Nomor ini sama dengan NIK yang Anda kirim tadi. Nomor KK berbeda dari NIK: lihat 16 angka "
    'di bagian atas Kartu Keluarga, setelah tulisan "No.".'
)
PHONE_NOT_DIGITS = "Nomor HP hanya berisi angka, contoh: 0812 3456 7890."
PHONE_PREFIX = "Nomor HP diawali 08 (atau +62 8), contoh: 0812 3456 7890."
PHONE_LENGTH = "Nomor HP ini terlalu pendek atau terlalu panjang. Contoh: 0812 3456 7890."

# The office's side of a case, told in the chat (office events, issue 13).
FROM_OFFICE = "Pesan dari {office} tentang pengajuan {reference}:"
DOCUMENT_REFUSED = "{document} yang Anda kirim perlu diganti: {reason}."
STAFF_NOTE = "Catatan petugas: {note}"
REASON_BLURRED = "fotonya buram, tulisannya tidak terbaca"
REASON_CUT_OFF = "sebagian dokumen terpotong, tidak terlihat"
REASON_WRONG_DOCUMENT = "bukan dokumen yang diminta"
REASON_EXPIRED = "dokumennya sudah tidak berlaku"
REASON_OTHER = "lihat catatan petugas"
SEND_IT_HERE = (
    "Kirim fotonya di chat ini. Pengajuan Anda tetap berjalan; tidak perlu mengisi ulang."
)
SEND_IT_LATER = (
    "Anda sedang mengisi pengajuan lain; jawaban Anda tetap tersimpan. Bila {document} sudah "
    'siap, ketik "kirim dokumen", lalu kirim fotonya.'
)
REVISION_RECEIVED = (
    "Terima kasih, {document} untuk pengajuan {reference} sudah kami terima dan diteruskan ke "
    "petugas. Petugas akan memeriksanya lagi."
)
REVISION_ASK = "Petugas menunggu {document} untuk pengajuan {reference}."
REVISION_LATER = (
    'Baik. Bila fotonya sudah siap, ketik "kirim dokumen", lalu kirim fotonya di chat ini.'
)
NO_DOCUMENT_ASKED = "Saat ini petugas tidak sedang menunggu dokumen dari Anda."
STATUS_TOLD = "Status: {status}."
STATUS_REASON = "Alasan: {reason}"
STATUS_NONE = (
    "Belum ada pengajuan dari chat ini yang tercatat di kantor. Pengajuan yang baru dikirim "
    "tercatat dalam beberapa menit."
)
STATUS_NOT_FOUND = (
    "Nomor pengajuan {reference} tidak ditemukan untuk chat ini. Status hanya bisa ditanyakan "
    "dari chat yang dipakai untuk mengajukan."
)
STATUS_LINE = "Pengajuan {reference} ({service}): {status}."
STATUS_LAST = "Pesan terakhir dari petugas: {message}"
STATUS_UNAVAILABLE = "Maaf, status pengajuan belum bisa dilihat saat ini. Coba lagi sebentar lagi."
STATUS_WAITING_DOCUMENT = "Petugas menunggu {document} dari Anda."
DOCUMENT_REMINDER = "Pengingat: petugas masih menunggu {document} untuk pengajuan {reference}."
DRAFT_REMINDER = (
    "Pengajuan {service} Anda belum selesai. Terakhir Anda sampai di: {where}. Balas pesan ini "
    "untuk melanjutkan; jawaban Anda tersimpan."
)
DRAFT_AT_START = "awal pengajuan"
DRAFT_AT_SUMMARY = "ringkasan, tinggal dikirim"
HOW_TO_STOP_REMINDERS = 'Ketik "stop pengingat" bila tidak ingin diingatkan lagi.'
REMINDERS_STOPPED = (
    "Baik, Anda tidak akan diingatkan lagi. Pesan petugas tentang pengajuan Anda tetap kami kirim."
)

# The citizen's own data (privacy.py): what is kept ("data saya"), and deleting it.
DATA_HEAD = "Data yang disimpan kantor tentang Anda dari chat ini (foto dokumen tidak ditampilkan):"
DATA_CASE = "Pengajuan {reference} ({service}, {office}): {status}."
DATA_ANSWERS = "Jawaban Anda:"
DATA_DOCUMENTS = "Dokumen:"
DATA_PURGED = "Pengajuan {reference} ({service}): data pribadinya sudah dihapus."
DATA_NONE = "Kantor tidak menyimpan data apa pun tentang Anda dari chat ini."
DATA_DRAFT = "Pengajuan yang sedang Anda isi ({service}) belum dikirim; jawabannya ada di chat ini."
DATA_UNAVAILABLE = "Maaf, data Anda belum bisa dilihat saat ini. Coba lagi sebentar lagi."
DATA_HOW_TO_ERASE = 'Ketik "hapus data saya" bila ingin data ini dihapus.'
DOCUMENT_PENDING = "belum diperiksa"
DOCUMENT_ACCEPTED = "diterima"
DOCUMENT_REFUSED_SHORT = "perlu dikirim ulang"
ERASE_ASK = (
    "Anda meminta agar data pribadi Anda di kantor Dinas Sosial dihapus. Admin kantor yang "
    "memutuskan, lalu Anda diberi tahu hasilnya di chat ini. Pengajuan yang sedang Anda isi "
    "(bila ada) langsung dihapus. Lanjutkan permintaan ini?"
)
ERASE_YES = "Ya, hapus data saya"
ERASE_NO = "Tidak"
ERASE_KEPT = "Baik, tidak ada yang dihapus."
ERASE_DRAFT_DELETED = "Pengajuan yang sedang Anda isi sudah dihapus."
ERASE_FILED = (
    "Permintaan penghapusan data Anda sudah dicatat untuk {offices}. Admin kantor akan "
    "memutuskannya; hasilnya kami kabarkan di chat ini."
)
ERASE_ALREADY = (
    "Permintaan penghapusan data Anda di {offices} sudah dicatat dan sedang menunggu keputusan "
    "admin."
)
ERASE_NOTHING = (
    "Kantor tidak menyimpan data apa pun tentang Anda dari chat ini, jadi tidak ada yang perlu "
    "dihapus."
)
ERASE_UNAVAILABLE = (
    "Maaf, permintaan penghapusan data belum bisa dicatat saat ini. Coba lagi sebentar lagi."
)
ERASE_APPROVED = (
    "{office} telah menghapus data pribadi Anda ({references}) sesuai permintaan Anda. Yang "
    "tersisa hanya catatan tanpa data pribadi untuk statistik."
)
ERASE_REFUSED = "{office} tidak dapat menghapus data Anda saat ini."
ERASE_REFUSED_REASON = "Alasan: {reason}"
ERASE_OUTCOME_APPROVED = "disetujui, data pribadi Anda sudah dihapus"  # a template's value
ERASE_OUTCOME_REFUSED = "ditolak"

REJECTED = {
    "format": REJECTED_FORMAT,
    "too_large": REJECTED_TOO_LARGE,
    "too_many_pixels": REJECTED_TOO_MANY_PIXELS,
    "too_small": REJECTED_TOO_SMALL,
    "too_dark": REJECTED_TOO_DARK,
    "blurry": REJECTED_BLURRY,
    "unavailable": REJECTED_UNAVAILABLE,
}
UNSUPPORTED = {
    "sticker": UNSUPPORTED_STICKER,
    "voice": UNSUPPORTED_VOICE,
    "audio": UNSUPPORTED_VOICE,
    "location": UNSUPPORTED_LOCATION,
    "video": UNSUPPORTED_VIDEO,
}

ENGINE_TEXTS: tuple[str, ...] = tuple(
    v for k, v in sorted(globals().items()) if k.isupper() and isinstance(v, str)
)
