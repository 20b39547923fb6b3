"""The words the understanding layer knows, as data: spellings that mean the same word, words
that carry no answer, yes, no, "don't know", numbers, questions, the commands. Only constants
(written as text tables, read once at import)."""

from __future__ import annotations


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _table(text: str, phrases: bool = False) -> dict[str, tuple[str, ...]]:
    """Lines "key: item item ..." (an indented line goes on with the key above); `phrases`:
    items are separated by " | " and may be several words."""
    rows: dict[str, str] = {}
    key = ""
    for line in text.strip("\n").splitlines():
        if line.startswith(" "):
            rows[key] += " " + line.strip()
        else:
            key, _, items = line.partition(":")
            rows[key.strip()] = items
    return {
        k: tuple(i.strip() for i in items.split("|" if phrases else None) if i.strip())
        for k, items in rows.items()
    }


# --- one word, many spellings: typed form -> the word it stands for -----------------------------

_SPELLINGS = _table("""
sudah: udh udah dah sdh sudh uda sdah suda udha sudha already
belum: blm blum blom belom lum blon belon bellum
tidak: gk ga gak nggak ngga ngak ndak nda ndk tdk tdak tida enggak engga kagak gag g tak tena taena
    de nd nggk gx tidk
ya: y iya iye iyye iyo yaa iy ia yoi yup yep yes yess yah iyah iyap yap ye iyee iyaa
oke: ok okey okay okeh okk oki okee oc okedeh sip sipp
setuju: stuju setujuh sttj agree
yang: yg yng
saja: aja aj sj
tahu: tau tw know
saya: sy aku ak sya gw gue nakke i
bulan: bln
tahun: thn
nomor: nmr nomer nomr number num
kenapa: knp napa ngapa mengapa why
bagaimana: gmn gimana bgmn gmana how
apa: ap apaan what
untuk: utk untk buat
dengan: dgn dg
karena: krn karna soalnya
tapi: tp tpi but
jadi: jd jdi
bisa: bs bsa
lagi: lg
sama: sm
dapat: dpt dapet
kalau: kl klo kalo klu if
benar: bener bnr bnar correct right
betul: betol btul
selesai: slesai selsai slsai sls done finish finished kelar
cukup: ckp enough
semua: smua smw all
tunggakan: tunggakn tungakan
nunggak: nungak menunggak
lunas: lns
bayar: byr bayr paid pay
terdaftar: trdaftar terdaptar tedaftar terdftr registered
masih: msh masi msih still
ada: ad have
sakit: skt sick
dirawat: drawat dirwt hospitalized hospitalised
kirim: krm kirimkan send submit
ganti: gnt change replace
ubah: rubah robah ubh edit
hapus: delete remove erase
salah: wrong incorrect mistake
kembali: kmbali kmbl kembli
batal: batl btal cancel
mungkin: mngkin mgkn kayaknya sepertinya kyknya kynya maybe perhaps
foto: poto photo pic gambar fto
lanjut: lnjt lanjt next continue
mulai: start mulailah
dinas sosial: dinsos
makassar: mks makasar mksr
kartu keluarga: kk
hp: hape handphone wa whatsapp telp telpon telepon tlp phone
ingat: inget remember
lupa: forgot forget
yakin: yakn sure
jangan: jgn jng
dulu: dlu dl
mau: want maw
sekarang: skrg skrng now
""")
SPELLINGS: dict[str, str] = {typed: word for word, forms in _SPELLINGS.items() for typed in forms}

# Whole phrases that mean something else than their words: "tidak apa-apa" is agreement.
IDIOMS: dict[str, str] = {
    phrase: meaning
    for meaning, phrases in _table(
        """
oke: tidak apa apa | tidak papa | gapapa | gpp | ngapapa | tidak masalah | bukan masalah
    | tidak keberatan | no problem | tidak apa | boleh saja | silakan | silahkan | tentu
    | tentu saja | of course | go ahead
setuju: i agree
belum: not yet
tidak tahu: no idea | i do not know | do not know | dont know | don t know | i don t know | gatau
    | gatahu | ndatau | entahlah
tidak yakin: not sure
tidak: i don t | don t | do not | does not | did not | doesn t | didn t | haven t | hasn t | can t
    | isn t | aren t | no thanks
""",
        phrases=True,
    ).items()
    for phrase in phrases
}

# South Sulawesi particles, alone or fused to the word before ("sudahmi", "belumpi").
PARTICLES = _set("mi ji pi ka ki ko mo di ta toh tawwa kodong ces")
FUSED_ALWAYS = ("mi", "ji", "pi")  # split off whenever the stem is a word of 4+ letters
FUSED_KNOWN = ("ka", "ki", "ko")  # split off only when the stem is a known word
# Forms of address, dropped from answers (never from a name: "Andi", "Daeng" are parts of names).
HONORIFICS = _set("""
pak bapak bpk pk bu ibu buk bunda kak kakak ka dek adek adik mas mbak mba bang abang daeng dg
puang om tante nak min admin gan sis bro bos boss sir madam maam miss ndi andi cess tabe tabek
petugas
""")
# Words that soften or pad an answer without changing it.
SOFTENERS = _set("""
dong deh kok sih lah loh kah pun nah yah tuh kan mohon maaf terima kasih makasih trims thanks
thank thx you please pls plis tolong saja dulu aja sekarang nya ini itu saya kami kita sudah
hehe hehehe wkwk hmm hm eh oh ooh o ya oke iya selamat pagi siang sore malam assalamualaikum
halo hallo hai hi hello permisi begini jawaban jawab jawabannya say is my the a it something
""")
# What can be dropped from an answer to a choice (the softeners minus the words that answer).
DROPPABLE = (HONORIFICS | SOFTENERS | PARTICLES) - {"sudah", "ya", "oke", "iya", "itu"}

# --- yes, no, don't know ------------------------------------------------------------------------

YES = _set("""
ya oke setuju boleh benar betul sudah ada punya pernah mau lanjut lanjutkan siap bersedia yakin
sure agree already correct right yes sip mantap baik tentu
""")
NO = _set("tidak bukan belum jangan no nope never not none ogah enggan")
NEGATIONS = _set("tidak bukan belum jangan no not never tanpa")
# "Don't know", checked before any yes, no or option word.
DONT_KNOW = tuple(
    tuple(p.split())
    for p in _table(
        """
dk: tidak tahu | tidak yakin | kurang tahu | kurang yakin | belum tahu | belum yakin | tidak ingat
    | kurang ingat | belum pasti | tidak pasti | tidak jelas | mungkin | lupa | entah | ragu
    | kadang | kadang kadang | sesekali
""",
        phrases=True,
    )["dk"]
)
# "sudah" before a time is how long, not "already": "sdh 3 bln ga bayar".
DURATION = _set("bulan tahun minggu hari lama berapa beberapa setahun sebulan seminggu")

# --- numbers, for "no 2", "yang kedua", "satu" ----------------------------------------------------

NUMBER_WORDS: dict[str, int] = {
    word: n
    for n, words in enumerate(
        (
            "satu one pertama first ke1",
            "dua two kedua second ke2",
            "tiga three ketiga third ke3",
            "empat four keempat fourth",
            "lima five kelima fifth",
            "enam six keenam sixth",
            "tujuh ketujuh",
            "delapan kedelapan",
            "sembilan kesembilan",
            "sepuluh kesepuluh",
        ),
        1,
    )
    for word in words.split()
}
# Words around a number that say it is an option's number: "nomor 2", "pilihan ke 3".
NUMBER_MARKS = _set("""
nomor pilihan pilih opsi option angka yang ke no yg jawaban jawab saya pilihnya nomornya choose
pick
""")

# --- questions back ------------------------------------------------------------------------------

QUESTION_WORDS = _set("""
kenapa bagaimana maksud maksudnya apakah mengapa gunanya bedanya artinya berapa kapan dimana
caranya where when what why how
""")
QUESTION_STARTS = tuple(
    tuple(p.split())
    for p in _table(
        """
q: apa itu | apa maksud | apa bedanya | untuk apa | apa guna | apa harus | harus kah | apa saja
    | itu apa | apa ya | apa | siapa | bisa kah | boleh kah | apa boleh | apa bisa | wajib kah
    | apa wajib | perlu kah | apa perlu | aman kah | apa aman | aman ji | data saya untuk
    | data saya dipakai
""",
        phrases=True,
    )["q"]
)

# --- the commands: each one phrase list; the message must be the phrase (with softeners) ---------

COMMANDS = _table(
    """
menu: menu | ke menu | menu utama | kembali ke menu | balik ke menu | home | beranda | mulai lagi
    | mulai dari awal | ulang dari awal | dari awal | ulang | main menu | lihat menu | buka menu
    | /menu
back: kembali | back | balik | mundur | sebelumnya | undo | salah ketik | salah tulis | salah pilih
    | salah tekan | salah klik | salah pencet | ke belakang | langkah sebelumnya
    | pertanyaan sebelumnya | go back
    | previous | kembali dulu | kembali ke sebelumnya | balik lagi | /back | /kembali
cancel: batal | batalkan | tidak jadi | stop | batalkan pengajuan | batalkan saja
    | tidak jadi daftar | tidak jadi mengajukan | tidak jadi ajukan | batal daftar
    | batal pengajuan | hapus pengajuan | cancel | /batal | /cancel | /stop | tidak mau lanjut
    | tidak usah | tidak usah lanjut
help: bantuan | help | tolong | bantu | info | panduan | bingung | saya bingung | tidak mengerti
    | tidak ngerti | tidak paham | kurang paham | tidak paham maksudnya | minta bantuan
    | tolong bantu | butuh bantuan | perlu bantuan | cara pakai | caranya | /help | /bantuan
language: bahasa | language | english | inggris | bahasa inggris | bahasa indonesia | indonesia
    | in english | english please | speak english | pakai bahasa inggris | ganti bahasa
    | ubah bahasa | indonesian | pakai bahasa indonesia | /bahasa | /language | /english
status: status | cek status | cek pengajuan | status pengajuan | lihat status | cek | cek dulu
    | pengajuan saya | bagaimana pengajuan saya | gimana pengajuan saya | sudah sampai mana
    | sampai mana | check status | application status | /status | /cek
document: kirim dokumen | dokumen | kirim ulang dokumen | kirim foto dokumen | kirim ulang
    | kirim foto ulang | send document | /dokumen | /document
mydata: data saya | lihat data saya | cek data saya | data saya apa saja | data apa saja
    | data saya apa saja yang disimpan | data apa saja yang disimpan | data apa yang disimpan
    | apa saja data saya | data yang disimpan | dataku | lihat dataku | dataku apa saja
    | data pribadi saya | lihat data pribadi saya
    | my data | show my data | see my data | what data do you keep | /datasaya | /mydata
erase: hapus data saya | hapus data | hapus dataku | hapus semua data saya | hapus semua data
    | hapus data pribadi | hapus data pribadi saya | data saya dihapus | data dihapus
    | data saya tolong dihapus | minta data saya dihapus | hapus data diri saya
    | my data deleted | delete my data | erase my data | remove my data | delete all my data
    | /hapusdata | /deletemydata
quiet: stop pengingat | berhenti | berhenti pengingat | jangan ingatkan | jangan ingatkan lagi
    | tidak usah diingatkan | matikan pengingat | stop reminders | stop reminder | no reminders
    | /berhenti
""",
    phrases=True,
)
# A language named in a language command.
LANGUAGE_NAMES: dict[str, str] = {
    phrase: lang
    for lang, phrases in _table(
        """
en: english | inggris | bahasa inggris | in english | english please | speak english
    | pakai bahasa inggris
id: indonesia | bahasa indonesia | indonesian | pakai bahasa indonesia
""",
        phrases=True,
    ).items()
    for phrase in phrases
}

# --- photos, free text ---------------------------------------------------------------------------

# "That's all" after several photos: "sudah pak", "udah itu aja", "cukup mi", "sdh semua".
DONE = _set("""
sudah selesai cukup semua itu saja lengkap habis segitu lanjut oke ya kirim terkirim semuanya
done keep sekian mi ji
""")
DONE_CORE = _set("sudah selesai cukup semua lengkap habis segitu lanjut sekian done keep semuanya")
SKIP = _set("lewati lewat skip lompat lompati loncat")
LATER = _set("""
nanti besok nyusul menyusul susul later tomorrow belum lusa hilang rusak tidak tunggu sebentar
bentar masih lagi
""")
# First and last words of a name typed with a lead-in ("nama saya ...") or an address ("... pak").
NAME_STARTS = _set(
    "perkenalkan kenalkan nama namaku namanya nm my name saya sy aku i i'm im atas a.n a.n. an a"
    " full"
)
NAME_ENDS = _set(
    "pak bu kak dek mas mbak bang min admin ya kasih makasih trims thanks tabe mi ji pi ki"
)

# An answer that names nothing: "terserah", "puskesmas terdekat", "yang dekat saja".
VAGUE = _set("""
terserah bebas sembarang terdekat dekat mana apa saja yang manapun apapun any whatever nearest
up to you ikut rumah sini situ sekitar di dari daerah sekitaran lokasi tempat biasa paling the
one kantor pokoknya
""")
VAGUE_MARKS = _set(
    "terserah bebas sembarang terdekat dekat manapun apapun any whatever nearest mana apa pokoknya"
)
GENERIC_PLACES = _set(
    "puskesmas pkm klinik rs rumah sakit dokter faskes praktek praktik bidan pustu posyandu"
)
