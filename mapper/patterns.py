"""The printed wording of snapshot pages: section headings, labels and template sentences.

All patterns run on :func:`mapper.text.plain` text (bold removed, quotes straightened), so
one expression covers the web page and the PDF edition. Named group ``city`` captures a
mention of the city's name wherever the template prints it.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _I)


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
    ("roles", _rx(r"^staff skills and profiles include:?$")),
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

# Template sentences. ``(?:^|,\s)`` anchors a city name after "Along with 50% of cities surveyed, ".
_SUBJECT = r"(?:^|,\s)(?P<city>[^,]+?)"
STRATEGY = _rx(_SUBJECT + r"\s(?P<verb>does not have|doesn't have|has)\san explicit innovation strategy")
APPROACH = _rx(_SUBJECT + r"\sapproaches innovation capacity\s(?P<how>.+?)\.(?:\s|$)")
FUNDING = _rx(_SUBJECT + r"\s(?P<verb>does not have|doesn't have|has)\s(?:any\s)?dedicated funding\b")
PARTNERS = _rx(
    r"^(?P<city>.+?) has developed partnerships to promote (?:its )?innovation capacity with (?P<list>.+?)\.?$"
)
INTERNAL = _rx(r"^(?P<city>.+?)'s? innovation work is internal to the city administration")
DATA_PARTNERS = _rx(r"data partnerships with (?P<list>.+?) to collect and analy[sz]e data")
NO_PRIORITY = _rx(r"^(?P<city>.+?) does not prioriti[sz]e (?:any )?policy (?:sectors|areas)")
TEAM = _rx(
    r"innovation work is (?!internal)|dedicated team for innovation|team (?:dedicated|devoted) to innovation|"
    r"task group|in charge of .*innovation work|does not have a dedicated team"
)
TEAM_CITY = _rx(r"(?:^|,\s)(?P<city>[^,]+?)'s? innovation work is\b|in charge of (?P<city2>.+?)'s? innovation work")
TEAM_SIZE = _rx(
    r"(?P<more>more than |over )?(?P<count>\d[\d,]*) (?:full-time )?"
    r"(?:staff(?: members)?|people|persons|employees|members|officials|civil servants)\b"
    r"|team of (?P<more2>more than |over )?(?P<count2>\d[\d,]*)\b"
)
ACTIVITIES_MAIN = _rx(r"^(?P<city>.+?)'s? most common innovation activities are (?P<list>.+?)\.(?:\s|$)")
ACTIVITIES_ALSO = _rx(r"innovation activities also include (?P<list>.+?)\.(?:\s|$)")
FUNDED_DIRECTED = _rx(
    r"(?:^|,\s)(?P<city>[^,]+?)'s? funding for innovation capacity is (?:generally |mainly |also )*"
    r"directed towards (?P<list>.+?)(?:\*|,? which |\.(?:\s|$))"
)
FUNDED_INVESTS = _rx(r"^(?P<city>.+?) also invests in (?P<list>.+?)\.(?:\s|$)")
ROUND_NOTE = _rx(r"^note: the city innovation snapshot \(pdf version\) was produced in (?P<year>\d{4})")
ROUND_2020 = _rx(r"\b2020 survey\b")
AREA_NOTE = re.compile(r"^(?P<area>[^:]{2,80}):\s+(?P<note>.{20,})$")
