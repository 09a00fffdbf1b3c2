"""Small text helpers shared by the parsers, the vocabulary lookup and the RDF mapping.

The same strings come back many times (an answer is looked up in several schemes, checked for
duplicates, turned into an IRI; boilerplate lines repeat on every page), so the two forms every
parser works on, :func:`plain` and :func:`normalise_label`, are cached per process for short
strings. Long strings (prose, a hostile 10,000-item line) are computed each time and never kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_SLASH = re.compile(r"\s*/\s*")
_LEADING_ARTICLE = re.compile(r"^(?:the|and|or)\s+")
_TRAILING_PUNCT = re.compile(r"[\s.,;:*]+$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
CACHED_LENGTH = 200  # strings up to this length are cached: labels, names, list answers, headings
_CACHE_SIZE = 1 << 16


def plain(text: str) -> str:
    """Text with Markdown bold removed, quotes straightened and whitespace collapsed.

    Sentence patterns run on this form, so ``does not have an **explicit innovation
    strategy**`` and the web page's plain wording match the same expression.
    """
    return _plain_cached(text) if len(text) <= CACHED_LENGTH else _plain(text)


def _plain(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    if "**" in text:
        text = _BOLD.sub(r"\1", text)
    return " ".join(text.split())  # str.split() and re's \s agree on what whitespace is


_plain_cached = lru_cache(maxsize=_CACHE_SIZE)(_plain)


def normalise_label(text: str) -> str:
    """The key under which a printed answer is looked up in a vocabulary.

    Case, spacing around ``/``, ``&`` versus ``and``, hyphens versus spaces, a leading
    article and trailing punctuation vary between renderings of one answer and carry no
    meaning; everything else (wording, British/American spelling) is matched through
    altLabels in ontology/vocab, not here.
    """
    return _normalise_cached(text) if len(text) <= CACHED_LENGTH else _normalise(text)


def _normalise(text: str) -> str:
    text = _plain(text).casefold()
    if "/" in text:
        text = _SLASH.sub("/", text)
    text = " ".join(text.replace("&", " and ").replace("-", " ").split())
    if text.startswith(("the ", "and ", "or ")):
        text = _LEADING_ARTICLE.sub("", text)
    return _TRAILING_PUNCT.sub("", text) if text[-1:] in " .,;:*" else text


_normalise_cached = lru_cache(maxsize=_CACHE_SIZE)(_normalise)


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphen-separated id for IRIs: ``Medellín`` -> ``medellin``.

    Apostrophes are dropped rather than turned into hyphens so ``Be'er Sheva`` reads
    ``beer-sheva``.
    """
    return _slug_cached(text) if len(text) <= CACHED_LENGTH else _slug(text)


def _slug(text: str) -> str:
    plain_text = _plain(text)
    ascii_text = (plain_text if plain_text.isascii() else unidecode(plain_text)).lower().replace("'", "")
    return _NOT_SLUG.sub("-", ascii_text).strip("-")


_slug_cached = lru_cache(maxsize=_CACHE_SIZE)(_slug)
