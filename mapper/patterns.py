"""The printed wording of snapshot pages: section headings, labels, chart residue.

All patterns run on :func:`mapper.text.plain` text (bold removed, quotes straightened), so
one expression covers the web page and the PDF edition. Named group ``city`` captures a
mention of the city's name wherever the template prints it. The template *sentences* are
one table in :mod:`mapper.sentences`; the fragments they share with the headings are here.
"""

from __future__ import annotations

import re

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

# Section headings, in page order. The key is a model Section value, a data-availability
# level, or one of: "vision", "funding", "measured" (headings that open no list).
HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    ("outcomes", _rx(r"^innovation is helping(?: the city)? to:?$")),
    ("success-factors", _rx(r"^(?:the most )?critical success factors\b.*:$")),
    ("spotlight", _rx(r"^spotlight on (?:innovation in )?(?P<city>[^|]+?)(?:\s*\|.*)?$")),
    ("vision", _rx(r"^vision and approach to innovation capacity$")),
    ("policy-areas", _rx(r"^(?:the )?policy areas (?:that )?(?P<city>.+?) (?:is|are) focus(?:ed|ing|es) on:?$")),
    ("policy-areas", _rx(r"^the top (?:\w+ )?priority policy areas?\b.*:$")),
    ("roles", _rx(r"^(?P<city>.+?) (?:utili[sz]es|uses|employs) (?P<count>\d+) different innovation skills? or roles?\.?$")),
    ("roles", _rx(r"^(?:staff skills and profiles include|innovation skills (?:or|and) roles):?$")),
    ("terms", _rx(r"^terms (?P<city>.+?) most associates? with innovation:?$")),
    ("terms", _rx(r"^the city most closely associates innovation(?: capacity)? with the following terms:?$")),
    ("activities", _rx(r"^(?P<city>.+?)'s? most common innovation activities:?$")),
    ("funding", _rx(r"^how is innovation funded here\??$")),
    ("funding-sources", _rx(r"^top sources of funding:?$")),
    ("funding-sources", _rx(r"\bfrom the following sources:$")),
    ("funded-activities", _rx(r"^activities being funded:?$")),
    ("measured", _rx(r"^how is innovation measured\??$")),
    ("data-availability", _rx(r"^data availability by policy area:?$")),
    ("Sufficient", _rx(r"^sufficient data:?$")),
    ("Insufficient", _rx(r"^insufficient data:?$")),
    ("NoResponse", _rx(r"^no response:?$")),
]

# Chart residue: captions, legend markers ("1. 1"), aggregate counts ("79 cities").
CAPTION = _rx(r"^(?:policy areas|innovation roles|[\w\s]+) by number of cities$")
LEGEND_MARKER = re.compile(r"^\d+\.\s*\d+$")
CITY_COUNT = _rx(r"^\d+\s+cities$")
COUNT = re.compile(r"^\d+$")
DESCRIPTION = _rx(r"^(?:e\.g\.|i\.e\.|this could include|this refers to|example:|for example)")

# Header labels of the web page ("Mayor" on its own line) and the PDF ("Mayor: name").
LABEL = _rx(
    r"^(?P<label>city|country|mayor|population(?: of (?:the )?(?:municipality|city))?|"
    r"lead innovation officers?|lead staff on innovation|chief innovation officers?|innovation website)"
    r"\s*(?::\s*(?P<value>.*))?$"
)
POPULATION = re.compile(
    r"^(?:(?P<millions>\d+(?:[.,]\d+)?)\s*(?:million|m)\b|(?P<count>\d{1,3}(?:[,.\s]\d{3})+|\d+))"
    r"\s*(?:\((?P<year>\d{4})\))?$",
    re.IGNORECASE,
)
PDF_TITLE = _rx(r"^city innovation snapshot\s*[|:-]\s*(?P<place>.+)$")
NAME_ANNOTATION = re.compile(r"\s*\(([^)]*)\)\s*")
AREA_NOTE = re.compile(r"^(?P<area>[^:]{2,80}):\s+(?P<note>.{20,})$")
AREA_LEAD = re.compile(r"^(?P<area>[^:]{2,80}):\s+\S")  # the start of one, which a cut may have left
