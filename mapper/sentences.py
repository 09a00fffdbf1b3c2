"""Template sentences: the facts a page states in prose rather than in lists, as ONE table.

Each row of :data:`SENTENCES` is one fixed sentence of the survey's pages: its wording (a
pattern on :func:`mapper.text.plain` text), the fact it states and how the match is read
("flag": has / does not have; "list": an enumeration of answers; "team": structure and staff;
...). Adding a wording seen on a new page is a new row, never a new function. Staff figures
of the team sentence are a table of their own (:data:`STAFF_FIGURES`).

Every row anchored on the city's name (group ``city``) also records that name: that is how
a page without its header names its city (:mod:`mapper.header` decides which name wins).

On the cut last line of a document a row still reads what is complete: a flag whose key
phrase is whole ("has dedicated funding to s"), the answers of a list before the cut one
(the cut one, and one a longer label could continue, are dropped), a staff figure whose
unit has begun ("consists of 14 st").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mapper import patterns as p
from mapper.enumeration import split_enumeration
from mapper.header import Mention
from mapper.items import answers_of
from mapper.lines import Line
from mapper.model import Approach, Item, Section, Sourced, TeamSize
from mapper.names import city_shaped
from mapper.state import PageState
from mapper.text import CACHED_LENGTH, normalise_label
from mapper.vocab import Vocabulary


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("".join(parts), re.IGNORECASE)


_SUBJECT = p.START + p.COMPARISON + p.NAME  # "Along with 50% of cities surveyed, X"
_OWNER = p.START + p.NAME + r"'s?\s+"  # "X's " / "Redwater Springs' "
_LIST = r"\s+(?P<list>.+?)"
_END = r"(?P<end>\.(?:\s|$)|$)"  # a sentence ends at its full stop; on a cut line, anywhere


class _AnyOf:
    """A wording that is one of several phrases, each tried on the line in lower case: an
    alternation under IGNORECASE scans a long line ten times slower than its phrases one by one."""

    def __init__(self, *phrases: str) -> None:
        self.phrases = tuple(re.compile(phrase) for phrase in phrases)

    def search(self, text: str) -> re.Match[str] | None:
        lowered = text.lower()
        return next((match for phrase in self.phrases if (match := phrase.search(lowered))), None)


@dataclass(frozen=True)
class Sentence:
    """One template sentence: what it is called, its wording, and what it states.

    ``key`` is a cheap test before the pattern; ``read`` says how a match is read (see ``_READERS``); ``fact`` is the key of the value or
    list it fills; ``scheme`` the vocabulary of its answers; ``verb`` is tried before an
    answer that shares the sentence's verb ("invests in A and B"); ``tail`` is the wording
    that follows the list, which a cut may leave half printed.
    """

    name: str
    key: str  # words every match contains (lower case; "a|b": one of them): lines without them skip the pattern
    pattern: re.Pattern[str] | _AnyOf
    read: str
    fact: str = ""
    section: Section | None = None
    scheme: str = ""
    verb: str = ""
    tail: str = ""
    value: object = None
    team_zone: bool | None = None  # True: the team paragraph may follow; False: it is past



SENTENCES: tuple[Sentence, ...] = (
    Sentence("strategy", "explicit innovation strategy",
             _rx(_SUBJECT, r"\s+(?P<verb>does not have|doesn't have|has)\s+an explicit innovation strategy"),
             "flag", "has_strategy", Section.STRATEGY, team_zone=True),
    Sentence("approach", "approaches innovation capacity",
             _rx(_SUBJECT, r"\s+approaches innovation capacity\s+(?P<how>.+?)\.(?:\s|$)"),
             "approach", "approach", Section.APPROACH, team_zone=True),
    Sentence("no-priority", "does not priorit",
             _rx(p.START, p.NAME, r"\s+does not prioriti[sz]e (?:any )?policy (?:sectors|areas)"),
             "constant", "prioritises_policy_areas", Section.POLICY_AREAS, value=False, team_zone=True),
    Sentence("funding", "dedicated funding",
             _rx(_SUBJECT, r"\s+(?P<verb>does not have|doesn't have|has)\s+(?:any\s+)?dedicated funding\b"),
             "flag", "has_dedicated_funding", Section.FUNDING, team_zone=False),
    Sentence("activities", "most common innovation activities are",
             _rx(_OWNER, r"most common innovation activities are", _LIST, _END),
             "list", "activities", Section.ACTIVITIES, scheme="activity", team_zone=False),
    Sentence("activities-also", "innovation activities also",
             _rx(r"innovation activities also (?:often |usually |frequently )?include", _LIST, _END),
             "list", "activities", Section.ACTIVITIES, scheme="activity", team_zone=False),
    Sentence("funded-directed", "directed towards",
             _rx(_SUBJECT, r"'s?\s+funding for innovation capacity is (?:generally |mainly |also |often )*directed towards",
                 _LIST, r"(?P<end>\*|,?\s+which\s|\.(?:\s|$)|$)"),
             "list", "funded-activities", Section.FUNDED_ACTIVITIES, scheme="funded-activity", team_zone=False),
    Sentence("funded-invests", "also invests in",
             _rx(p.START, p.NAME, r"\s+also invests in", _LIST, _END),
             "list", "funded-activities", Section.FUNDED_ACTIVITIES, scheme="funded-activity", verb="Investing in ",
             team_zone=False),
    Sentence("partners", "has developed partnerships",
             _rx(p.START, p.NAME, r"\s+has developed partnerships to promote (?:its )?innovation capacity with", _LIST, _END),
             "list", "partners", Section.PARTNERSHIPS, scheme="partner", team_zone=False),
    Sentence("internal", "internal to the city administration",
             _rx(_OWNER, r"innovation work is internal to the city administration"),
             "constant", "partnerships_internal_only", Section.PARTNERSHIPS, value=True, team_zone=False),
    Sentence("data-partners", "data partnerships with",
             _rx(r"data partnerships with", _LIST, r"(?P<end>\s+to collect and analy[sz]e data|\.(?:\s|$)|$)"),
             "list", "data-partners", Section.DATA_PARTNERSHIPS, scheme="partner", tail=" to collect and analyze data",
             team_zone=False),
    Sentence("data-partners-also", "as well as with",
             _rx(r"to collect and analy[sz]e data,?\s+as well as with", _LIST, _END),
             "list", "data-partners", Section.DATA_PARTNERSHIPS, scheme="partner", team_zone=False),
    # The team paragraph: its wording (_TEAM_CUE), or a staff figure where the paragraph stands
    # (after the vision sentences and the roles list, before the terms and activities).
    Sentence("team", "innovation work is|team|task group|staff|people|persons|employees|members|officials|"
                     "civil servants|fte",
             _AnyOf(r"innovation work is (?!internal)", r"team(?<!\wteam)\b", r"task groups?\b", r"staff(?<!\wstaff)\b",
                    r"\d\s+(?:people|persons|employees|members|officials|civil servants|ftes?)\b"),
             "team", "team_size", Section.TEAM),
    Sentence("round-note", "city innovation snapshot (pdf version)",
             _rx(r"^note: the city innovation snapshot \(pdf version\) was produced in (?P<year>\d{4})"),
             "constant", "round_note", value=2018),
)
_TEAM_CUE = _AnyOf(r"innovation work is (?!internal)", r"dedicated (?:innovation )?team", r"team (?:dedicated|devoted) to innovation",
                   r"i-team(?<!\wi-team)\b", r"task groups?\b", r"in charge of .*innovation work",
                   r"innovation (?:lab|unit|office|agency|team)\b", r"^(?:situated|based|located|housed|placed)\s+(?:in|within|as|at)\b",
                   r"^as an independent\b")
_TEAM_OWNER = _rx(_OWNER, r"innovation work is\b")
_ROUND_2020 = _rx(r"\b2020 survey\b")
# The words of every row ("a|b": one of them), and all of them (each looked for in a line once).
_ROW_KEYS = tuple((row, frozenset(row.key.split("|"))) for row in SENTENCES)
_ROW_WORDS = tuple(sorted({key for _, keys in _ROW_KEYS for key in keys} | {"2020 survey"}))
_PARTNERSHIP_SECTIONS = (Section.PARTNERSHIPS, Section.DATA_PARTNERSHIPS)

# Staff figures of the team sentence: "consists of 14 staff", "more than 40 staff members",
# "(6 staff)", "staff of 11", "a team of 5", "3-5 staff", "between 3 and 5 people".
_NUMBER = r"\d[\d,]{0,8}(?![\d,])|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_UNITS = ("staff", "people", "persons", "employees", "members", "officials", "civil servants", "FTE")
_UNIT = r"(?:(?:full[- ]time|permanent|core|dedicated|team)\s+)?(?:staff(?:\s+members)?|people|persons|employees|members|officials|civil servants|FTEs?)\b"
_MORE = r"(?P<more>more than |over |at least )?"
# "about 20 staff" is read as stated; "up to 20", "nearly 20" state no size of the team.
_QUALIFIER = r"(?:(?P<about>about |around |approximately |roughly |some )|(?P<below>up to |nearly |almost |fewer than |less than |under ))?"
STAFF_FIGURES: tuple[re.Pattern[str], ...] = (
    _rx(_MORE, _QUALIFIER, r"\b(?P<n>", _NUMBER, r")(?:\s*(?:-|to)\s*(?P<m>", _NUMBER, r"))?\s+", _UNIT),
    _rx(r"\bbetween (?P<n>", _NUMBER, r") and (?P<m>", _NUMBER, r")\s+", _UNIT),
    _rx(r"\bstaff of ", _MORE, _QUALIFIER, r"(?P<n>", _NUMBER, r")\b"),
    _rx(r"\bteam of ", _MORE, _QUALIFIER, r"(?P<n>", _NUMBER, r")\b(?!\s*(?:teams|departments|units))"),
)
# Words each figure pattern needs (lower case, one of them): the others are not tried.
_FIGURE_WORDS = (("staff", "people", "persons", "employees", "members", "officials", "civil servants", "fte"),
                 ("between",), ("staff of",), ("team of",))
_ANY_NUMBER = re.compile(r"\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve", re.IGNORECASE)
_WORDS = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_SENTENCE_WORDS = 6  # shorter lines are list answers, not the team paragraph
_NOT_TEAM_SECTIONS = {"spotlight", "policy-areas"}
_INNOVATION_TEAM = re.compile(r"innovation|i-team", re.IGNORECASE)
_CUT_UNIT = re.compile(r"\d\s+(?P<partial>[a-z]+)$", re.IGNORECASE)


def read_sentences(line: Line, state: PageState, vocab: Vocabulary) -> bool:
    """Every fact the template sentences of ``line`` state; True when the line held one."""
    hit = False
    matches, round_2020 = sentence_matches(line.text)
    for row, match in matches:
        if _READERS[row.read](row, match, line, state, vocab):
            _mention(state, match, line)
            state.markers.add(f"sentence:{row.name}")
            if row.section is not None:
                state.found.add(row.section)
            if row.section in _PARTNERSHIP_SECTIONS:  # the page's lists stand above these sentences
                state.lists_end = state.lists_end or line.no
            if row.read != "team":
                state.past_story = True
            if row.team_zone is not None:
                state.team_zone = row.team_zone
            hit = True
    if round_2020 and not state.values.get("round_2020"):
        state.values["round_2020"] = Sourced(value=2020, line=line.no)
    return hit


def sentence_matches(text: str) -> tuple[tuple[tuple[Sentence, re.Match[str]], ...], bool]:
    """The rows of :data:`SENTENCES` whose wording ``text`` prints (with a city-shaped subject
    where the row has one), and whether it mentions the 2020 survey.

    Depends on the text alone, so short lines (the boilerplate every page repeats) are looked
    up once per process; a line that holds none of the rows' words (most list answers) is
    spared their patterns.
    """
    return _matches_cached(text) if len(text) <= CACHED_LENGTH else _matches(text)


def _matches(text: str) -> tuple[tuple[tuple[Sentence, re.Match[str]], ...], bool]:
    lowered = text.lower()
    words = {word for word in _ROW_WORDS if word in lowered}
    if not words:
        return (), False
    found = []
    for row, keys in _ROW_KEYS:
        if not words & keys:
            continue
        match = row.pattern.search(text)
        if match and _subject_is_a_city(match):
            found.append((row, match))
    return tuple(found), "2020 survey" in words and bool(_ROUND_2020.search(text))


_matches_cached = lru_cache(maxsize=1 << 14)(_matches)


def _subject_is_a_city(match: re.Match[str]) -> bool:
    """A template names the city where its pattern has a ``city`` group: prose that merely
    shares the wording ("... said that the city has an explicit innovation strategy") does not."""
    name = match.groupdict().get("city")
    return name is None or city_shaped(name.strip())


def _mention(state: PageState, match: re.Match[str], line: Line) -> None:
    name = (match.groupdict().get("city") or "").strip()
    if name and city_shaped(name):
        state.mentions.append(Mention(name=name, line=line.no))


# --- how a match is read: one function per kind of row ------------------------------------


def _flag(row: Sentence, match: re.Match[str], line: Line, state: PageState, vocab: Vocabulary) -> bool:
    _state(state, row.fact, match.group("verb").lower() == "has", line)
    return True


def _constant(row: Sentence, match: re.Match[str], line: Line, state: PageState, vocab: Vocabulary) -> bool:
    _state(state, row.fact, row.value, line)
    return True


def _approach(row: Sentence, match: re.Match[str], line: Line, state: PageState, vocab: Vocabulary) -> bool:
    how = match.group("how").lower()
    holistic, specific = "holistic" in how or "macro" in how, "specific" in how
    approach = Approach.BOTH if "both" in how or (holistic and specific) else (
        Approach.SPECIFIC if specific else Approach.HOLISTIC if holistic else None)
    if approach is not None:
        _state(state, row.fact, approach, line)
    return True


def _state(state: PageState, fact: str, value: object, line: Line) -> None:
    """Record a single-valued fact; two sentences that disagree leave it out, with a warning."""
    known = state.values.get(fact)
    if fact in state.conflicting or (known is not None and known.value == value):
        return
    if known is None:
        state.values[fact] = Sourced(value=value, line=line.no)
        return
    del state.values[fact]
    state.conflicting.add(fact)
    shown = [getattr(v, "value", v) for v in (known.value, value)]
    state.warnings.append(f"line {line.no}: {fact.replace('_', ' ')} stated as {shown[1]!r}, but line {known.line} "
                          f"states {shown[0]!r}; left out")


def _list(row: Sentence, match: re.Match[str], line: Line, state: PageState, vocab: Vocabulary) -> bool:
    text = match.group("list")
    open_end = line.cut and not match.group("end")  # the cut fell inside the list or its tail
    if open_end and row.tail:
        text = _without_cut_tail(text, row.tail)
    answers = split_enumeration(text, row.scheme, vocab, row.verb, cut=open_end)
    if row.fact in ("partners", "data-partners"):
        items = state.partners if row.fact == "partners" else state.data_partners
    else:
        items = answers_of(state.lists, row.fact)
    for answer in answers:
        items.add(Item.model_construct(text=answer, line=line.no, note=None))
    return bool(answers) or not open_end


def _team(row: Sentence, match: re.Match[str], line: Line, state: PageState, vocab: Vocabulary) -> bool:
    """The team paragraph: its structure (vocabulary phrases) and its staff.

    Read where the template prints it, after the story; never in the spotlight or a policy
    note (which may speak of a team), never from a short list answer ("Dedicated
    innovation team"). Away from the team's place, only the paragraph's own wording counts.
    """
    if not state.past_story or state.section in _NOT_TEAM_SECTIONS or len(line.text.split()) < _SENTENCE_WORDS:
        return False
    cue = bool(_TEAM_CUE.search(line.text))
    if not (cue or state.team_zone):
        return False
    owner = "innovation work is" in line.text.lower() and _TEAM_OWNER.search(line.text)
    if owner:
        _mention(state, owner, line)
    structures = _concepts_named_in(normalise_label(line.text), "team-structure", vocab)
    for concept in structures:
        if all(existing.text != concept for existing in state.structures):
            state.structures.append(Item(text=concept, line=line.no))
    size = _team_size(line, state) if row.fact not in state.values else None
    if size is not None:
        state.values[row.fact] = size
    return cue or bool(structures) or size is not None


_READERS = {"flag": _flag, "constant": _constant, "approach": _approach, "list": _list, "team": _team}


# --- helpers ------------------------------------------------------------------------------


def _without_cut_tail(text: str, tail: str) -> str:
    """ "A, B and think tanks to coll" -> "A, B and think tanks": the list's own end was printed."""
    lowered = text.lower()
    for size in range(len(tail), 1, -1):
        if lowered.endswith(tail[:size]):
            return text[: len(text) - size]
    return text


@dataclass(frozen=True)
class _Figure:
    low: int
    high: int | None  # the top of a range "3-5 staff"
    more_than: bool
    about: bool
    tied: bool  # the words before it name the innovation team ("the innovation lab (6 staff)")


def _team_size(line: Line, state: PageState) -> TeamSize | None:
    """The innovation team's staff: the one figure tied to the innovation team when the
    sentence states several, else the smallest (a range counts by its lower bound)."""
    text = _complete_cut_unit(line.text) if line.cut else line.text
    figures = _staff_figures(text)
    if not figures:
        return None
    tied = [figure for figure in figures if figure.tied]
    chosen = min(tied if len(tied) == 1 else figures, key=lambda figure: figure.low)
    if len(figures) > 1:
        stated = ", ".join(str(figure.low) for figure in figures)
        why = "the innovation team's" if len(tied) == 1 else "the smallest"
        state.warnings.append(f"line {line.no}: the team paragraph states several staff figures ({stated}); "
                              f"read {why}, {chosen.low}")
    if chosen.about:
        state.warnings.append(f"line {line.no}: the team size is approximate; read as {chosen.low}")
    return TeamSize(count=chosen.low, more_than=chosen.more_than, up_to=chosen.high, line=line.no)


def _staff_figures(text: str) -> list[_Figure]:
    """Every staff figure of a team paragraph, in text order; upper bounds ("up to 20") are no size."""
    if not _ANY_NUMBER.search(text):
        return []
    matches: dict[int, re.Match[str]] = {}  # by the number's position: "a team of 5 staff" is one figure
    lowered = text.lower()
    for pattern, words in zip(STAFF_FIGURES, _FIGURE_WORDS):
        if not any(word in lowered for word in words):
            continue
        for match in pattern.finditer(text):
            matches.setdefault(match.start("n"), match)
    figures, previous_end = [], 0
    for start, match in sorted(matches.items()):
        groups = match.groupdict()
        low, high = _number(groups["n"]), _number(groups.get("m"))
        if low is not None and not groups.get("below"):
            tied = bool(_INNOVATION_TEAM.search(text[previous_end:start]))
            figures.append(_Figure(low, high, bool(groups.get("more")), bool(groups.get("about")), tied))
        previous_end = match.end()
    return figures


def _complete_cut_unit(text: str) -> str:
    """ "consists of 14 st" -> "consists of 14 staff": the number is whole once its unit begins."""
    match = _CUT_UNIT.search(text)
    if not match:
        return text
    partial = match.group("partial").lower()
    unit = next((unit for unit in _UNITS if unit.lower().startswith(partial) and unit.lower() != partial), None)
    return text + unit[len(partial):] if unit else text


def _number(text: str | None) -> int | None:
    if not text:
        return None
    text = text.lower().replace(",", "")
    return int(text) if text.isdigit() else _WORDS.get(text)


def _concepts_named_in(key: str, scheme: str, vocab: Vocabulary) -> list[str]:
    """prefLabels of the concepts of ``scheme`` a label of which occurs in ``key``, in text order."""
    first_at: dict[str, int] = {}
    for label, concept in vocab.by_label.get(scheme, {}).items():
        match = label in key and _whole_words(label).search(key)
        if match:
            name = concept.pref_label
            first_at[name] = min(first_at.get(name, match.start()), match.start())
    return sorted(first_at, key=first_at.__getitem__)


@lru_cache(maxsize=4096)
def _whole_words(label: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(label)}(?!\w)")
