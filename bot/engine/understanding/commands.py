"""Commands said naturally ("batal saja", "kembali pak", "english please"): a message is a
command when it is one of a command's phrases and nothing else but softeners, so a command word
inside a real answer ("gak jadi sakit") is not one. The longest phrase said wins."""

from __future__ import annotations

from bot.engine.reference import is_valid_reference
from bot.engine.understanding import lexicon as L
from bot.engine.understanding.heard import Heard, hear

# Words a command may come with: "batal saja", "kembali pak", "tolong ke menu", "salah ketik tadi".
_QUIET = (
    L.HONORIFICS
    | L.PARTICLES
    | L._set(
        "saja dulu deh dong ya please pls sekarang lagi mohon maaf tolong sih nah kah lah ini itu"
        " yah oke saya mau ingin pengen pengin minta aja ke yang kasih terima makasih tadi eh"
        " aduh waduh astaga salah"
    )
)


def _phrases() -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for name, phrases in L.COMMANDS.items():
        for phrase in phrases:
            words = hear(phrase).words or tuple(phrase.split())
            if out.get(words, name) != name:
                raise ValueError(f"{phrase!r} is a phrase of two commands")
            out[words] = name
    return out


PHRASES = _phrases()
_LONGEST = max(len(p) for p in PHRASES)
_WORDS = frozenset(w for p in PHRASES for w in p)  # a message with none of them is no command


def command_of(text: str | Heard) -> str | None:
    """The command a message is, if it is one."""
    heard = text if isinstance(text, Heard) else hear(text)
    raw = heard.text.strip().casefold()
    if raw == "/start":
        return "menu"  # Telegram's first message
    if raw in ("?", "??", "???", "？"):
        return "help"
    words = heard.words
    if not words or len(words) > _LONGEST + 4 or _WORDS.isdisjoint(words):
        return None
    if words in PHRASES:
        return PHRASES[words]
    core = tuple(w for w in words if w not in _QUIET)
    if core in PHRASES:
        return PHRASES[core]
    if core[:2] == ("tidak", "jadi") and PHRASES.get(core[2:], "erase") != "erase":
        return PHRASES[core[2:]]  # "tidak jadi, kembali": never mind, back (never "delete")
    # the quiet words of a phrase itself ("ke menu", "tolong")
    for size in range(min(len(words), _LONGEST), 0, -1):
        for i in range(len(words) - size + 1):
            name = PHRASES.get(words[i : i + size])
            rest = words[:i] + words[i + size :]
            if name is not None and all(w in _QUIET for w in rest):
                return name
    return None


def language_named(text: str | Heard) -> str | None:
    """The language a language command names ("english please" -> "en"), if any."""
    heard = text if isinstance(text, Heard) else hear(text)
    for size in range(len(heard.words), 0, -1):
        for i in range(len(heard.words) - size + 1):
            lang = L.LANGUAGE_NAMES.get(" ".join(heard.words[i : i + size]))
            if lang:
                return lang
    return None


# Words that may stand beside a reference when the citizen asks about it ("cek MKS-...").
_ASKING = L._set(
    "cek status pengajuan nomor no ref referensi bagaimana gimana check application number"
    " saya punya yang"
)


def status_asked(text: str) -> str | None:
    """The reference a message asks the status of ("" for all of the chat's), or None when it
    does not ask: "status", "cek pengajuan", or a well-formed reference, alone or with "cek"."""
    heard = hear(text)
    if command_of(heard) == "status":
        return ""
    words = text.replace(",", " ").replace(":", " ").split()
    refs = [w.strip(".?!").upper() for w in words if is_valid_reference(w.strip(".?!"))]
    if len(refs) != 1:
        return None
    rest = hear(" ".join(w for w in words if not is_valid_reference(w.strip(".?!"))))
    if all(w in _ASKING or w in L.HONORIFICS or w in L.PARTICLES for w in rest.words):
        return refs[0]
    return None
