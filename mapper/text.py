"""Small text helpers shared by the parsers, the vocabulary lookup and the RDF mapping."""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_SPACES = re.compile(r"\s+")
_SLASH = re.compile(r"\s*/\s*")
_LEADING_ARTICLE = re.compile(r"^(?:the|and|or)\s+")
_TRAILING_PUNCT = re.compile(r"[\s.,;:*]+$")


def plain(text: str) -> str:
    """Text with Markdown bold removed, quotes straightened and whitespace collapsed.

    Sentence patterns run on this form, so ``does not have an **explicit innovation
    strategy**`` and the web page's plain wording match the same expression.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _BOLD.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def normalise_label(text: str) -> str:
    """The key under which a printed answer is looked up in a vocabulary.

    Case, spacing around ``/``, ``&`` versus ``and``, hyphens versus spaces, a leading
    article and trailing punctuation vary between renderings of one answer and carry no
    meaning; everything else (wording, British/American spelling) is matched through
    altLabels in ontology/vocab, not here.
    """
    text = plain(text).casefold()
    text = _SLASH.sub("/", text)
    text = text.replace("&", " and ").replace("-", " ")
    text = _SPACES.sub(" ", text).strip()
    text = _LEADING_ARTICLE.sub("", text)
    return _TRAILING_PUNCT.sub("", text)


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphen-separated id for IRIs: ``Medellín`` -> ``medellin``.

    Apostrophes are dropped rather than turned into hyphens so ``Be'er Sheva`` reads
    ``beer-sheva``.
    """
    ascii_text = unidecode(plain(text)).lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
