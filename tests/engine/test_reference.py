"""Reference numbers: deterministic from seed + counter, readable, self-checking."""

from __future__ import annotations

import re

import pytest

from bot.engine.reference import ALPHABET, RANDOM_CHARS, is_valid_reference, make_reference

SEED = "00" * 16
OTHER_SEED = "ff" * 16
SEEDS = [bytes([i]) * 16 for i in (1, 7, 42, 200)]
SHAPE = re.compile(
    rf"^(?P<prefix>[A-Z]{{2,4}})-([{ALPHABET}]{{3}})-([{ALPHABET}]{{3}})-([{ALPHABET}]{{3}})$"
)


def seed_hex(i: int) -> str:
    return i.to_bytes(32, "big").hex()


def test_alphabet_has_no_confusable_characters() -> None:
    assert len(set(ALPHABET)) == len(ALPHABET)
    for confusable in "0O1IL5S8BDPTCGEFNL":
        assert confusable not in ALPHABET


def test_deterministic_for_seed_and_counter() -> None:
    assert make_reference("MKS", SEED, 1) == make_reference("MKS", SEED, 1)
    assert make_reference("GWA", OTHER_SEED, 7) == make_reference("GWA", OTHER_SEED, 7)


def test_differs_across_counters() -> None:
    refs = [make_reference("MKS", SEED, n) for n in range(1, 101)]
    assert len(set(refs)) == len(refs)


def test_differs_across_seeds() -> None:
    assert make_reference("MKS", SEED, 1) != make_reference("MKS", OTHER_SEED, 1)
    refs = {make_reference("MKS", s.hex(), 1) for s in SEEDS}
    assert len(refs) == len(SEEDS)


def test_prefix_does_not_change_the_body() -> None:
    a = make_reference("MKS", SEED, 3)
    b = make_reference("GWA", SEED, 3)
    assert a.split("-", 1)[1] == b.split("-", 1)[1]
    assert a.startswith("MKS-") and b.startswith("GWA-")


@pytest.mark.parametrize("prefix", ["MKS", "GWA", "AB", "ABCD"])
@pytest.mark.parametrize("counter", [1, 2, 3, 1000])
def test_shape(prefix: str, counter: int) -> None:
    ref = make_reference(prefix, SEED, counter)
    m = SHAPE.match(ref)
    assert m is not None, ref
    assert m["prefix"] == prefix
    body = ref.replace("-", "")[len(prefix) :]
    assert len(body) == RANDOM_CHARS + 1
    assert set(body) <= set(ALPHABET)


@pytest.mark.parametrize("counter", range(1, 21))
def test_made_references_are_valid(counter: int) -> None:
    for seed in [SEED, OTHER_SEED, *(s.hex() for s in SEEDS)]:
        assert is_valid_reference(make_reference("MKS", seed, counter))


def test_valid_reference_accepts_how_people_type_it() -> None:
    ref = make_reference("MKS", SEED, 1)
    assert is_valid_reference(ref.lower())
    assert is_valid_reference(ref.replace("-", " "))
    assert is_valid_reference(f"  {ref}  ")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "MKS",
        "MKS-234-679-AH",  # one character short
        "MKS-234-679-AHKM",  # one character too many
        "MKS-234679AHK",  # groups missing
        "MKS-234-679-AHK-M",  # an extra group
        "123-234-679-AHK",  # a prefix that is not letters
        "MKS-O34-679-AHK",  # O is not in the alphabet
        "MKS-034-679-AHK",  # 0 is not in the alphabet
    ],
)
def test_invalid_shapes(typed: str) -> None:
    assert not is_valid_reference(typed)


def _single_character_typos(ref: str) -> list[str]:
    prefix, rest = ref.split("-", 1)
    body = rest.replace("-", "")
    out = []
    for i, old in enumerate(body):
        for new in ALPHABET:
            if new != old:
                b = body[:i] + new + body[i + 1 :]
                out.append(f"{prefix}-{b[0:3]}-{b[3:6]}-{b[6:9]}")
    return out


def test_typo_helper_makes_every_substitution() -> None:
    typos = _single_character_typos(make_reference("MKS", SEED, 1))
    assert len(typos) == (RANDOM_CHARS + 1) * (len(ALPHABET) - 1)
    assert all(SHAPE.match(t) for t in typos)


@pytest.mark.parametrize("counter", [1, 2, 3])
@pytest.mark.parametrize("seed", [SEED, OTHER_SEED])
def test_single_character_typo_is_caught(seed: str, counter: int) -> None:
    ref = make_reference("MKS", seed, counter)
    undetected = [t for t in _single_character_typos(ref) if is_valid_reference(t)]
    assert undetected == [], f"{ref}: {len(undetected)} single-character typos pass the check"


def test_thousand_seeds_give_distinct_references() -> None:
    refs = [make_reference("MKS", seed_hex(i), 1) for i in range(1000)]
    assert len(set(refs)) == 1000
    assert all(is_valid_reference(r) for r in refs)
