"""Read the lines of any rendering into a :class:`~mapper.model.Snapshot`.

One pass over the lines: a heading opens its section, a template sentence yields its
facts wherever it stands, chart residue is skipped, and the other lines are the items of
the open list. Renderings differ in what they drop, not in what they print, so the same
pass reads them all; what is rendering-specific is the header (labelled, unlabelled, PDF
title) and, for pages whose headings are gone, placing bare list lines by vocabulary
(:mod:`mapper.headingless`).
"""

from __future__ import annotations

import hashlib
import re

from mapper import patterns as p
from mapper.detect import detect_rendering, require_snapshot
from mapper.errors import UnreadableDocument
from mapper.header import (
    Header, Mention, choose_city, header_zone, mention_groups, place_unlabelled, read_labels, read_title,
)
from mapper.headingless import place_bare_lines
from mapper.items import answers_of, item_like, make_item
from mapper.sentences import read_sentences
from mapper.state import LIST_SCHEMES, PageState
from mapper.lines import Line, settle_last_line, to_lines
from mapper.names import city_shaped
from mapper.model import (
    DataRating,
    Rendering,
    Section,
    Snapshot,
    Sourced,
    SufficiencyLevel,
)
from mapper.text import normalise_label, plain
from mapper.vocab import Vocabulary, default_vocabulary

_LEVELS = {level.value: level for level in SufficiencyLevel}
_SECTIONS = {section.value: section for section in Section}
_SURROGATE = re.compile("[\ud800-\udfff]")
# Headings after which the page prints sentences, not lists: a bare list line there (or
# before any heading) belongs to a list whose heading the rendering dropped.
_LISTLESS = {None, "vision", "funding", "measured"}
# Words of a clause, never of a policy area's name ("The city focuses on two areas: ...").
_CLAUSE_WORDS = frozenset("is are was were has have had focuses focus include includes will can its our".split())
# Headings after which the team paragraph may stand (it follows the roles list); the others end its place.
_TEAM_ZONE_HEADINGS = {"vision", "policy-areas", "roles"}
# Headings the header and the story stand among: any other heading starts the page's body.
_ABOVE_BODY = {"outcomes", "success-factors"}


def parse_document(text: str, source: str, vocab: Vocabulary | None = None) -> Snapshot:
    """Parse one snapshot document; raise :class:`UnreadableDocument` if it is not one."""
    vocab = vocab or default_vocabulary()
    _require_unicode(text, source)
    lines = to_lines(text)
    if not lines:
        raise UnreadableDocument(source, "the document is empty")
    lines, stops_mid_line = settle_last_line(lines, vocab)
    header = read_labels(lines, vocab)
    state = PageState()
    for line in lines:
        if line.no in header.consumed:
            continue
        if read_title(line, vocab, header):
            state.markers.add("pdf-title")
            continue
        _read_line(line, state, vocab)
    require_snapshot(source, state.markers | {f"label:{label}" for label in header.labels_with_values})
    rendering = detect_rendering(state.markers, header.standalone_labels, header.inline_labels,
                                 any(line.md_level for line in lines))
    groups = mention_groups(state.mentions)
    zone = header_zone(state.bare, header, state.body_start)
    choose_city(header, zone, groups, source)
    place_unlabelled(header, zone, lines, groups, vocab)
    state.bare = [line for line in state.bare if line.no not in header.consumed]
    listless = [line for line in state.listless if line.no not in header.consumed]
    place_bare_lines(listless, lines, state.lists, vocab, state.warnings, state.lists_end)
    if not state.spotlight:
        state.spotlight = _bare_spotlight(state.bare, header)
    return _snapshot(text, source, rendering, header, state, stops_mid_line and not state.last_line_whole)


def _require_unicode(text: str, source: str) -> None:
    """A lone surrogate (text decoded with ``surrogateescape``, or cut from UTF-16) is no character."""
    if text.isascii():
        return
    found = _SURROGATE.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise UnreadableDocument(source, f"the text holds a lone surrogate (U+{ord(found.group()):04X}), which is "
                                 "not a character: the file was decoded wrongly", line)


# --- the pass --------------------------------------------------------------------------


def _read_line(line: Line, state: PageState, vocab: Vocabulary) -> None:
    if line.cut:  # never a heading or a header value: it may stop mid-word
        if not _read_sentence(line, state, vocab) and not _read_area_note(line, state, vocab):
            _read_whole_last_answer(line, state, vocab)
        return
    if _read_heading(line, state):
        read_sentences(line, state, vocab)
        return
    if _read_sentence(line, state, vocab):
        if state.section == "spotlight":
            state.section = None
        return
    if _is_residue(line, state):
        return
    if state.section == "spotlight":
        state.spotlight.append(line)
    elif state.section == "data-availability" and p.COUNT.match(line.text):
        state.data_counts.append(int(line.text))
    elif state.section in _LEVELS:
        if _fits(line, "policy-area", vocab):
            answers_of(state.lists, state.section).add(make_item(line, "policy-area", vocab))
    elif state.section in LIST_SCHEMES and _belongs_elsewhere(line, LIST_SCHEMES[state.section], vocab):
        state.section, state.list_open = None, False  # the next list's heading was dropped
        state.bare.append(line)
        state.listless.append(line)
    elif state.section in LIST_SCHEMES:
        if _read_area_note(line, state, vocab):
            return
        if state.list_open and item_like(line) and _fits(line, LIST_SCHEMES[state.section], vocab):
            answers_of(state.lists, state.section).add(make_item(line, LIST_SCHEMES[state.section], vocab))
        else:
            state.bare.append(line)
    else:
        state.bare.append(line)
        if state.section in _LISTLESS:
            state.listless.append(line)


def _fits(line: Line, scheme: str, vocab: Vocabulary) -> bool:
    """A last line whole only as some label is an answer only of a list whose scheme prints it."""
    return not line.whole_label or vocab.lookup(scheme, line.text) is not None


def _read_whole_last_answer(line: Line, state: PageState, vocab: Vocabulary) -> None:
    """The cut last line is an answer when it is a whole label of its own list's scheme, one no
    longer label of that scheme begins with ("Culture" under "Insufficient data", where only
    another scheme's "Culture of innovation in city" begins with it); "Housing" is not."""
    scheme = "policy-area" if state.section in _LEVELS else LIST_SCHEMES.get(state.section or "")
    if scheme is None or not (state.list_open or state.section in _LEVELS):
        return
    if vocab.lookup(scheme, line.text) and not vocab.continues(scheme, line.text):
        answers_of(state.lists, state.section).add(make_item(line, scheme, vocab))
        state.last_line_whole = True


def _read_sentence(line: Line, state: PageState, vocab: Vocabulary) -> bool:
    if not read_sentences(line, state, vocab):
        return False
    state.body_start = state.body_start or line.no
    return True


def _belongs_elsewhere(line: Line, scheme: str, vocab: Vocabulary) -> bool:
    """A line only other lists' schemes print: the open list ended without its caption."""
    schemes = vocab.schemes_of(line.text)
    return bool(schemes) and scheme not in schemes and set(schemes) & set(LIST_SCHEMES.values()) != set()


def _read_heading(line: Line, state: PageState) -> bool:
    found = p.heading(line.text)
    if found is not None:
        key = found.key
        state.section, state.list_open, state.in_chart, state.skip_next = key, True, False, False
        state.markers.add(f"heading:{key}")
        if key not in _ABOVE_BODY:
            state.body_start = state.body_start or line.no
            state.past_story = state.past_story or key != "spotlight"
            state.team_zone = key in _TEAM_ZONE_HEADINGS
        if found.city and city_shaped(found.city):
            state.mentions.append(Mention(name=found.city, line=line.no))
        if found.count is not None:
            state.values["stated_role_count"] = Sourced(value=found.count, line=line.no)
        _mark(state, key)
        return True
    if line.md_level:  # a Markdown heading we have no use for closes the open section
        state.section, state.list_open = "other", False
        return True
    return False


def _mark(state: PageState, key: str) -> None:
    if key in _LEVELS:
        state.found.add(Section.DATA_AVAILABILITY)
    elif key in _SECTIONS:
        state.found.add(_SECTIONS[key])


def _is_residue(line: Line, state: PageState) -> bool:
    """Chart captions, legends and aggregate counts: the same on every page, not city data."""
    if state.skip_next:
        state.skip_next = False
        return True
    kind = p.residue(line.text)
    if kind == "legend":
        state.skip_next, state.list_open = True, False
        state.markers.add("chart:legend")
        return True
    if kind == "city-count":
        state.in_chart, state.list_open = True, False
        state.markers.add("chart:city-count")
        return True
    if kind == "caption":
        state.list_open = False
        state.markers.add("chart:caption")
        return True
    if state.in_chart and state.section == "funded-activities" and not line.text.endswith("."):
        return True
    return kind == "description"


def _read_area_note(line: Line, state: PageState, vocab: Vocabulary) -> bool:
    """``Area: explanation`` paragraphs of 2020 pages explain the listed policy areas; with no
    list above them, they are the list. A paragraph the cut shortened still names its area.

    A paragraph's area that the printed list does not name is reported, not added: the list
    is the city's answer, the paragraph its gloss ("Law enforcement:" glosses "Policing and
    law enforcement").
    """
    if state.section != "policy-areas":
        return False
    match = (p.AREA_LEAD if line.cut else p.AREA_NOTE).match(line.text)
    if not match or line.text.lower().startswith("note:"):
        return False
    area = match.group("area").strip()
    if not _area_shaped(area, vocab):
        return False
    items = answers_of(state.lists, "policy-areas")
    state.list_open = False
    listed = next((item for item in items if _same_area(item.text, area, vocab)), None)
    if listed is None and any(item.line not in state.area_note_lines for item in items):
        state.warnings.append(f"line {line.no}: explanation of {area!r}, an area the policy list above does not "
                              "name; not added to the list")
        return True
    if listed is None:
        listed = make_item(Line(line.no, area, area), "policy-area", vocab)
        items.add(listed)
        state.area_note_lines.add(line.no)
    if not line.cut:
        state.area_notes.setdefault(normalise_label(listed.text), match.group("note").strip())
    return True


def _area_shaped(area: str, vocab: Vocabulary) -> bool:
    """A policy area's name, not the start of a sentence ("The city focuses on two areas: ...")."""
    words = area.split()
    if vocab.lookup("policy-area", area):
        return True
    return len(words) <= 6 and area[0].isupper() and not _CLAUSE_WORDS.intersection(w.lower() for w in words)


def _same_area(listed: str, area: str, vocab: Vocabulary) -> bool:
    """One policy area printed two ways: one concept, or the words of one inside the other's."""
    concept_a, concept_b = vocab.lookup("policy-area", listed), vocab.lookup("policy-area", area)
    if concept_a is not None and concept_a == concept_b:
        return True
    words_a, words_b = set(normalise_label(listed).split()), set(normalise_label(area).split())
    return bool(words_a and words_b) and (words_a <= words_b or words_b <= words_a)


# --- after the pass --------------------------------------------------------------------


def _bare_spotlight(bare: list[Line], header: Header) -> list[Line]:
    """Spotlight of a page without headings: the long story paragraph after the header."""
    after = max(header.consumed, default=0)
    story = [line for line in bare if line.no > after and len(line.text) >= 150 and not p.AREA_NOTE.match(line.text)]
    return story[:1]


def _snapshot(
    text: str, source: str, rendering: Rendering, header: Header, state: PageState, stops_mid_line: bool
) -> Snapshot:
    lists = state.lists
    ratings, complete = _ratings(state)
    notes = state.area_notes
    policy = [item.model_copy(update={"note": notes.get(normalise_label(item.text))})
              for item in lists.get("policy-areas", [])]
    values = state.values
    found = set(state.found)
    if header.consumed:
        found.add(Section.HEADER)
    for key in LIST_SCHEMES:
        if lists.get(key):
            found.add(Section(key))
    if state.spotlight:
        found.add(Section.SPOTLIGHT)
    order = list(Section)
    missing = [section for section in order if section not in found]
    last_expected = Section.SUCCESS_FACTORS if rendering == Rendering.PDF_MARKDOWN else Section.DATA_AVAILABILITY
    truncated = stops_mid_line or not complete or last_expected in missing
    return Snapshot(
        source=source,
        source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        rendering=rendering,
        survey_round=values.get("round_note") or _pdf_round(rendering, header) or values.get("round_2020"),
        city=header.city,
        region=header.region,
        country=header.country,
        mayor=header.mayor,
        population=header.population,
        lead_officers=header.officers,
        outcomes=lists.get("outcomes", []),
        success_factors=lists.get("success-factors", []),
        spotlight=_join(state.spotlight),
        has_strategy=values.get("has_strategy"),
        approach=values.get("approach"),
        prioritises_policy_areas=values.get("prioritises_policy_areas"),
        policy_areas=policy,
        stated_role_count=values.get("stated_role_count"),
        roles=lists.get("roles", []),
        team_structures=state.structures,
        team_size=values.get("team_size"),
        terms=lists.get("terms", []),
        activities=lists.get("activities", []),
        has_dedicated_funding=values.get("has_dedicated_funding"),
        funding_sources=lists.get("funding-sources", []),
        funded_activities=lists.get("funded-activities", []),
        partnerships_internal_only=values.get("partnerships_internal_only"),
        partners=state.partners,
        data_partners=state.data_partners,
        data_counts=state.data_counts,
        data_ratings=ratings,
        sections_found=[section for section in order if section in found],
        sections_missing=missing,
        truncated=truncated,
        warnings=header.warnings + state.warnings,
    )


def _pdf_round(rendering: Rendering, header: Header) -> Sourced[int] | None:
    """The PDF edition (2019) carries the 2018 survey round."""
    if rendering == Rendering.PDF_MARKDOWN and header.city is not None:
        return Sourced(value=2018, line=header.city.line)
    return None


def _ratings(state: PageState) -> tuple[list[DataRating], bool]:
    """Data ratings, and whether the printed counts confirm the lists are complete."""
    ratings, complete = [], True
    present = [level for level in _LEVELS if level in state.lists]
    for index, level in enumerate(present):
        items = state.lists[level]
        if index < len(state.data_counts) and len(items) != state.data_counts[index]:
            complete = complete and len(items) > state.data_counts[index]
            state.warnings.append(
                f"data availability: {state.data_counts[index]} {level} areas announced, {len(items)} listed")
        ratings.extend(DataRating(area=item, level=_LEVELS[level]) for item in items)
    if len(present) < len(state.data_counts):
        complete = False
    return ratings, complete


def _join(lines: list[Line]) -> Sourced[str] | None:
    if not lines:
        return None
    return Sourced(value=" ".join(plain(line.text) for line in lines), line=lines[0].no)
