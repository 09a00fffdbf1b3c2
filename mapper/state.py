"""What one pass over a page has read so far, shared by the pass and the sentence readers."""

from __future__ import annotations

from dataclasses import dataclass, field

from mapper.header import Mention
from mapper.lines import Line
from mapper.items import Answers
from mapper.model import Item, Section

# List sections in page order, with the vocabulary scheme of their answers.
LIST_SCHEMES = {
    "outcomes": "outcome",
    "success-factors": "success-factor",
    "policy-areas": "policy-area",
    "roles": "role",
    "terms": "term",
    "activities": "activity",
    "funding-sources": "funding-source",
    "funded-activities": "funded-activity",
}


@dataclass
class PageState:
    """What the pass has read so far."""

    section: str | None = None
    list_open: bool = False
    skip_next: bool = False  # the line after a legend marker is a legend label
    in_chart: bool = False  # after "N cities" in the funded-activities chart
    mentions: list[Mention] = field(default_factory=list)  # the city's name as sentences print it
    markers: set[str] = field(default_factory=set)  # the survey's headings, sentences, chart residue seen
    past_story: bool = False  # a heading or sentence after the spotlight story has been read
    team_zone: bool = False  # between the vision sentences and the terms: where the team paragraph stands
    body_start: int | None = None  # first line of the page's body: the header stands above it
    lists: dict[str, Answers] = field(default_factory=dict)
    found: set[Section] = field(default_factory=set)
    bare: list[Line] = field(default_factory=list)  # lines no heading, label or pattern claimed
    listless: list[Line] = field(default_factory=list)  # bare lines read where no list heading stood
    lists_end: int | None = None  # line of the first partnership sentence: the page's lists are above it
    spotlight: list[Line] = field(default_factory=list)
    area_notes: dict[str, str] = field(default_factory=dict)
    area_note_lines: set[int] = field(default_factory=set)  # policy areas named only by their paragraph
    data_counts: list[int] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)  # single-valued facts
    last_line_whole: bool = False  # the cut last line proved a whole answer of its list
    conflicting: set[str] = field(default_factory=set)  # facts two sentences state differently: left out
    structures: list[Item] = field(default_factory=list)
    partners: Answers = field(default_factory=Answers)
    data_partners: Answers = field(default_factory=Answers)
    warnings: list[str] = field(default_factory=list)
