"""What a name looks like: a person's (by its shape) and a city's (by the page's own sentences).

A header line says what it is only through its shape, so these checks decide which lines
may be a person and which names two spellings share. They look at one short string at a
time; nothing here reads the page.
"""

from __future__ import annotations

import re
from functools import lru_cache

from unidecode import unidecode

from mapper.patterns import NAME_ANNOTATION
from mapper.text import plain
from mapper.vocab import Vocabulary

# Lower-case words that names carry between capitalised ones ("Pieter van Wyk", "Santa Rita
# do Norte", "Frankfurt am Main").
PARTICLES = frozenset(
    "de del della der den di do dos das da du la le les van von y e el al bin ibn ter ten zu "
    "of on upon am an sur".split()
)
_WORD = re.compile(r"^[^\W\d_][\w'.\-]*$")
_ABBREVIATION = re.compile(r"^[A-Z][a-z]?\.$")  # "Jr.", "Sr.", "B."
# Words of an office's name, never of a person's ("Office of Innovation", a link text the page kept).
_INSTITUTION_WORDS = frozenset(
    "office department agency innovation city municipal municipality unit lab laboratory team council ministry "
    "secretariat website university institute center centre foundation government programme program hall "
    "directorate bureau".split()
)
_PRONOUNS = frozenset("it its this that these those our their they we he she each every which such".split())
_REGION_SUFFIX = re.compile(r",\s?(?:[A-Z]{2}\.?|D\.\s?C\.)$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _capitalised(words: list[str]) -> bool:
    return all(word[0].isupper() or word.lower() in PARTICLES for word in words)


@lru_cache(maxsize=1 << 14)
def person_shaped(text: str, vocab: Vocabulary) -> bool:
    """A person's name: 2 to 7 capitalised words of letters, not an answer label, a country
    or an office ("Office of Innovation").

    "(current)"-style annotations are ignored; "data mayor data data" is not a name.
    """
    words = NAME_ANNOTATION.sub(" ", text).split()
    if not 2 <= len(words) <= 7 or ends_like_sentence(text) or text.endswith(","):
        return False
    if not all(_WORD.match(word) for word in words) or not _capitalised(words):
        return False
    if sum(word[0].isupper() for word in words) < 2 or _INSTITUTION_WORDS.intersection(w.lower() for w in words):
        return False
    return not vocab.schemes_of(text)


def ends_like_sentence(text: str) -> bool:
    """Ends with sentence punctuation, not with an abbreviation ("A.C. Wharton Jr.", "Michael B.")."""
    if text.endswith((":", ";", "?", "!")):
        return True
    return text.endswith(".") and not _ABBREVIATION.match(text.split()[-1])


@lru_cache(maxsize=1 << 14)
def city_shaped(name: str) -> bool:
    """A city's name as a template prints it: 1 to 7 words of letters, no digits, starting
    and ending with a capital ("Reggio nell'Emilia", "Frankfurt am Main", "The Hague").

    Rejects what a sentence pattern may catch in a sentence that does not name the city
    ("the city has also developed ...", "It has ...", "innovation •").
    """
    words = _REGION_SUFFIX.sub("", name.strip()).split()
    if not 1 <= len(words) <= 7 or any(char.isdigit() for char in name):
        return False
    if not all(_WORD.match(word) for word in words) or words[0].lower() in _PRONOUNS:
        return False
    if words[0] == "The" and (len(words) == 1 or not words[1][0].isupper()):
        return False  # "The city", "The municipality"
    return words[0][0].isupper() and any(char.isupper() for char in words[-1])


@lru_cache(maxsize=1 << 14)
def city_key(name: str) -> str:
    """The form under which two printings of one city name compare equal.

    Case, accents, apostrophes, hyphens and a state suffix carry no identity here:
    "São Tomé do Sul" = "Sao Tome do Sul", "Port Avalon, OR" = "Port Avalon".
    """
    text = _REGION_SUFFIX.sub("", plain(name).strip())
    return _NOT_ALNUM.sub("", unidecode(text).casefold())


@lru_cache(maxsize=1 << 14)
def words_key(name: str) -> tuple[str, ...]:
    """The words of a name, compared as :func:`city_key` compares names."""
    text = _REGION_SUFFIX.sub("", plain(name).strip())
    return tuple(word for word in _NOT_ALNUM.split(unidecode(text).casefold()) if word)


def same_place(name_a: str, name_b: str) -> bool:
    """Two printings of one city's name: one misspelling apart, or one the other's leading
    words ("Tel Aviv" of "Tel Aviv-Yafo", "Washington" of "Washington, D.C.")."""
    if near(city_key(name_a), city_key(name_b)):
        return True
    words_a, words_b = words_key(name_a), words_key(name_b)
    shorter, longer = sorted((words_a, words_b), key=len)
    return bool(shorter) and longer[: len(shorter)] == shorter and max(map(len, shorter)) >= 4


def near(key_a: str, key_b: str) -> bool:
    """Two keys one misspelling apart: equal, or an edit distance of 1 (2 for long names)."""
    if key_a == key_b:
        return True
    shorter = min(len(key_a), len(key_b))
    allowed = 2 if shorter >= 10 else 1 if shorter >= 5 else 0
    return allowed > 0 and abs(len(key_a) - len(key_b)) <= allowed and _distance(key_a, key_b, allowed) <= allowed


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once every path exceeds ``limit``."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
