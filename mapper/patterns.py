"""The printed wording of snapshot pages: section headings, labels, chart residue.

All patterns run on :func:`mapper.text.plain` text (bold removed, quotes straightened), so
one expression covers the web page and the PDF edition. Named group ``city`` captures a
mention of the city's name wherever the template prints it. The template *sentences* are
one table in :mod:`mapper.sentences`; the fragments they share with the headings are here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mapper.text import CACHED_LENGTH

_I = re.IGNORECASE


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _I)


# A city's name as the templates print it: starts with a letter, holds no sentence
# punctuation, and may carry a state suffix ("Port Avalon, OR", "Washington, D.C.").
# Whether a capture really is a name is checked by mapper.names.city_shaped.
NAME = r"(?P<city>[^\W\d_][^,;:!?()\[\]\"*|]{0,58}?(?-i:,\s?(?:[A-Z]{2}\b\.?|D\.\s?C\.))?)"
# Where a template sentence starts: the line's start or the end of the previous sentence.
START = r"(?:^|(?<=[.!?]\s))"
# The survey's comparison before the subject: "Along with 50% of cities surveyed, ",
# "Similar to more than half of cities surveyed, ", "Similar to 61% of participating cities
# in the 2020 survey, ". Percentages and wording differ between site versions.
COMPARISON = r"(?:[^,.]{0,80}\bcities\b[^,.]{0,60},\s+)?"

# Section headings, in page order: (key, words every match contains in lower case, pattern).
# The key is a model Section value, a data-availability level, or one of: "vision",
# "funding", "measured" (headings that open no list). The words are a cheap test that spares
# a line the patterns it cannot match.
HEADINGS: list[tuple[str, str, re.Pattern[str]]] = [
    ("outcomes", "innovation is helping", _rx(r"^innovation is helping(?: the city)? to:?$")),
    ("success-factors", "critical success factors", _rx(r"^(?:the most )?critical success factors\b.*:$")),
    ("spotlight", "spotlight on ", _rx(r"^spotlight on (?:innovation in )?(?P<city>[^|]+?)(?:\s*\|.*)?$")),
    ("vision", "vision and approach", _rx(r"^vision and approach to innovation capacity$")),
    ("policy-areas", "policy areas ", _rx(r"^(?:the )?policy areas (?:that )?(?P<city>.+?) (?:is|are) focus(?:ed|ing|es) on:?$")),
    ("policy-areas", "priority policy area", _rx(r"^the top (?:\w+ )?priority policy areas?\b.*:$")),
    ("roles", "different innovation skill", _rx(r"^(?P<city>.+?) (?:utili[sz]es|uses|employs) (?P<count>\d{1,6}) different innovation skills? or roles?\.?$")),
    ("roles", "skills", _rx(r"^(?:staff skills and profiles include|innovation skills (?:or|and) roles):?$")),
    ("terms", "with innovation", _rx(r"^terms (?P<city>.+?) most associates? with innovation:?$")),
    ("terms", "most closely associates innovation", _rx(r"^the city most closely associates innovation(?: capacity)? with the following terms:?$")),
    ("activities", "most common innovation activities", _rx(r"^(?P<city>.+?)'s? most common innovation activities:?$")),
    ("funding", "how is innovation funded", _rx(r"^how is innovation funded here\??$")),
    ("funding-sources", "top sources of funding", _rx(r"^top sources of funding:?$")),
    ("funding-sources", "from the following sources:", _rx(r"\bfrom the following sources:$")),
    ("funded-activities", "activities being funded", _rx(r"^activities being funded:?$")),
    ("measured", "how is innovation measured", _rx(r"^how is innovation measured\??$")),
    ("data-availability", "data availability by policy area", _rx(r"^data availability by policy area:?$")),
    ("Sufficient", "sufficient data", _rx(r"^sufficient data:?$")),
    ("Insufficient", "insufficient data", _rx(r"^insufficient data:?$")),
    ("NoResponse", "no response", _rx(r"^no response:?$")),
]


@dataclass(frozen=True)
class Heading:
    """A section heading a line prints: its key, the city it names, the role count it states."""

    key: str
    city: str = ""
    count: int | None = None


def heading(text: str) -> Heading | None:
    """The first of :data:`HEADINGS` that ``text`` (a :func:`~mapper.text.plain` line) prints;
    a heading is a short line (prose is never one)."""
    return _heading_cached(text) if len(text) <= CACHED_LENGTH else None


def _heading(text: str) -> Heading | None:
    lowered = text.lower()
    for key, words, pattern in HEADINGS:
        if words not in lowered:
            continue
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            count = groups.get("count")
            return Heading(key, (groups.get("city") or "").strip(), int(count) if count else None)
    return None


_heading_cached = lru_cache(maxsize=1 << 14)(_heading)


# Chart residue: captions, legend markers ("1. 1"), aggregate counts ("79 cities").
CAPTION = _rx(r"^(?:policy areas|innovation roles|[\w\s]+) by number of cities$")
LEGEND_MARKER = re.compile(r"^\d+\.\s*\d+$")
CITY_COUNT = _rx(r"^\d+\s+cities$")
COUNT = re.compile(r"^\d{1,6}$")  # numbers are bounded: a 5,000-digit "count" is no count
DESCRIPTION = _rx(r"^(?:e\.g\.|i\.e\.|this could include|this refers to|example:|for example)")

def residue(text: str) -> str | None:
    """Which chart residue a line is: "legend", "city-count", "caption", "description" or None."""
    return _residue_cached(text) if len(text) <= CACHED_LENGTH else _residue(text)


def _residue(text: str) -> str | None:
    if LEGEND_MARKER.match(text):
        return "legend"
    if CITY_COUNT.match(text):
        return "city-count"
    if CAPTION.match(text):
        return "caption"
    return "description" if DESCRIPTION.match(text) else None


_residue_cached = lru_cache(maxsize=1 << 14)(_residue)


def label(text: str) -> re.Match[str] | None:
    """The header label a line prints (``LABEL``), cached: every line of every page is asked."""
    return _label_cached(text) if len(text) <= CACHED_LENGTH else LABEL.match(text)


# Header labels of the web page ("Mayor" on its own line) and the PDF ("Mayor: name").
LABEL = _rx(
    r"^(?P<label>city|country|mayor|population(?: of (?:the )?(?:municipality|city))?|"
    r"lead innovation officers?|lead staff on innovation|chief innovation officers?|innovation website)"
    r"\s*(?::\s*(?P<value>.*))?$"
)
POPULATION = re.compile(
    r"^(?:(?P<millions>\d{1,4}(?:[.,]\d{1,6})?)\s*(?:million|m)\b|(?P<count>\d{1,3}(?:[,.\s]\d{3}){1,4}|\d{1,12}))"
    r"\s*(?:\((?P<year>\d{4})\))?$",
    re.IGNORECASE,
)
_label_cached = lru_cache(maxsize=1 << 14)(LABEL.match)
PDF_TITLE = _rx(r"^city innovation snapshot\s*[|:-]\s*(?P<place>.+)$")
NAME_ANNOTATION = re.compile(r"\s*\(([^)]*)\)\s*")
AREA_NOTE = re.compile(r"^(?P<area>[^:]{2,80}):\s+(?P<note>.{20,})$")
AREA_LEAD = re.compile(r"^(?P<area>[^:]{2,80}):\s+\S")  # the start of one, which a cut may have left
