"""The header block: city, country, mayor, population, lead innovation officer(s).

Values are placed by evidence, never by position alone:

- a **label** names its value (``Mayor`` on a line, the name on the next; the PDF's
  ``Mayor: name``; the PDF title ``City Innovation Snapshot | City, Country``);
- the **city** is a City label, the PDF title, or a name the page's own template sentences
  confirm ("Spotlight on innovation in X", "Along with 50% of cities surveyed, X ..."): a
  header line the sentences contradict is not the city, and with no header line the
  sentences' name is the city;
- a **country** is only a line the country vocabulary knows;
- a **population** line (``665,000 (2016)``) is never a name or a country;
- a **person-shaped** line next to the population (or, with no population, just above the
  officers' label) is the mayor; person-shaped lines just after an unlabelled population are
  the officers; otherwise officers come from their label.

Where two values compete for one fact (two populations, two countries), the fact is left
out and a warning says why; header lines that nothing places are reported, not guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from mapper import patterns as p
from mapper.errors import UnreadableDocument
from mapper.lines import Line
from mapper.model import Person, Population, Sourced
from mapper.names import city_key, ends_like_sentence, person_shaped, same_place
from mapper.vocab import Vocabulary

_NAME_WORD = re.compile(r"^[^\W\d_][\w'.\-]*$")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|gov|net|gob|gov\.\w+)\b", re.IGNORECASE)
_REGION = re.compile(r"^[A-Z]{2,3}$")
_OFFICER_LABELS = ("lead", "chief")
_LONGEST_HEADER_LINE = 100  # header values are short; a longer line is prose (a flat page's story)


@dataclass
class Header:
    city: Sourced[str] | None = None
    region: Sourced[str] | None = None
    country: Sourced[str] | None = None
    mayor: Person | None = None
    population: Population | None = None
    officers: list[Person] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)  # line numbers used by the header
    standalone_labels: set[str] = field(default_factory=set)  # labels printed alone on a line
    labels_with_values: set[str] = field(default_factory=set)  # evidence of the survey's header
    label_lines: dict[str, int] = field(default_factory=dict)  # label kind -> its first line
    inline_labels: bool = False  # "Mayor: name" on one line, as the PDF edition prints it
    warnings: list[str] = field(default_factory=list)


@dataclass
class Mention:
    """A city name a template sentence or heading prints."""

    name: str
    line: int


# --- single values ----------------------------------------------------------------------


def parse_population(line: Line) -> Population | None:
    """ "2,500,000 (2017)", "9.2 million (2020)", "709671"."""
    match = p.POPULATION.match(line.text)
    if not match:
        return None
    if match.group("millions"):
        count = round(float(match.group("millions").replace(",", ".")) * 1_000_000)
    else:
        count = int(re.sub(r"\D", "", match.group("count")))
    year = int(match.group("year")) if match.group("year") else None
    return Population(count=count, year=year, line=line.no)


def split_people(line: Line, text: str | None = None) -> list[Person]:
    """Names in one line: "A & B", "A, B and C"; "(current)" annotations kept apart."""
    people = []
    for part in re.split(r"\s*(?:,|&|;|\band\b)\s*", text if text is not None else line.text):
        annotation = None
        found = p.NAME_ANNOTATION.search(part)
        if found:
            annotation = found.group(1).strip()
            part = p.NAME_ANNOTATION.sub(" ", part).strip()
        if part:
            people.append(Person(name=part, line=line.no, annotation=annotation))
    return people


def people_line(line: Line, vocab: Vocabulary) -> bool:
    """Every name in the line is a person's name (a single capitalised word too: "Lula"), not "N/A"."""
    people = split_people(line)
    return bool(people) and all(
        person_shaped(person.name, vocab) or (_NAME_WORD.match(person.name) and person.name[0].isupper())
        for person in people
    )


def split_place(line: Line, text: str | None = None) -> tuple[Sourced[str], Sourced[str] | None]:
    """ "Denver, CO" -> city "Denver", region "CO"; other text is the city as printed."""
    text = (text if text is not None else line.text).strip()
    name, _, rest = text.rpartition(",")
    if name and _REGION.match(rest.strip()):
        return Sourced(value=name.strip(), line=line.no), Sourced(value=rest.strip(), line=line.no)
    return Sourced(value=text, line=line.no), None


# --- labelled values --------------------------------------------------------------------


def read_labels(lines: list[Line], vocab: Vocabulary) -> Header:
    """Header values that follow their labels; ``lines`` are the document's lines."""
    header = Header()
    for index, line in enumerate(lines):
        match = p.label(line.text)
        if not match or line.cut:
            continue
        label = match.group("label").lower()
        header.consumed.add(line.no)
        header.label_lines.setdefault(label, line.no)
        inline = (match.group("value") or "").strip()
        header.inline_labels = header.inline_labels or bool(inline)
        if not inline and label not in {"city", "country"}:
            header.standalone_labels.add(label)
        values = [Line(line.no, inline, inline)] if inline else _values_after(lines, index, label, vocab)
        if values and label != "innovation website":
            header.labels_with_values.add(label)
        _assign(header, label, values, vocab)
    return header


def _values_after(lines: list[Line], index: int, label: str, vocab: Vocabulary) -> list[Line]:
    """The value lines of a label printed on its own line."""
    values: list[Line] = []
    for line in lines[index + 1 :]:
        if p.label(line.text) or line.bullet or line.md_level or line.cut:
            break
        if label == "innovation website":
            return [line] if _URL.search(line.text) else []
        if label.startswith("population"):
            return [line] if p.POPULATION.match(line.text) else []
        if label == "mayor":
            return [line] if person_shaped(line.text, vocab) else []
        if label in {"city", "country"}:
            return [line] if len(line.text) <= _LONGEST_HEADER_LINE else []
        if not people_line(line, vocab):
            break
        values.append(line)
    return values


def _assign(header: Header, label: str, values: list[Line], vocab: Vocabulary) -> None:
    for value in values:
        header.consumed.add(value.no)
    if not values:
        return
    first = values[0]
    if label == "city" and header.city is None:
        header.city, header.region = split_place(first)
    elif label == "country" and header.country is None:
        _set_country(header, first, vocab)
    elif label == "mayor" and header.mayor is None:
        people = split_people(first)
        header.mayor = people[0] if people else None
    elif label.startswith("population") and header.population is None:
        header.population = parse_population(first)
    elif label.startswith(_OFFICER_LABELS) and not header.officers:
        header.officers = [person for value in values for person in split_people(value)]


def _set_country(header: Header, line: Line, vocab: Vocabulary, text: str | None = None) -> None:
    text = text if text is not None else line.text
    if vocab.lookup("country", text):
        header.country = Sourced(value=text, line=line.no)
    else:
        header.warnings.append(f"line {line.no}: country {text!r} is not in the country vocabulary; left out")


def read_title(line: Line, vocab: Vocabulary, header: Header) -> bool:
    """The PDF title "City Innovation Snapshot | Saltillo, Mexico"; True when it matched."""
    match = p.PDF_TITLE.match(line.text)
    if not match:
        return False
    parts = [part.strip() for part in match.group("place").split(",") if part.strip()]
    if len(parts) > 1 and vocab.lookup("country", parts[-1]):
        if header.country is None:
            _set_country(header, line, vocab, parts[-1])
        parts.pop()
    if parts:
        header.city, header.region = split_place(line, ", ".join(parts))
    header.consumed.add(line.no)
    return True


# --- the city ---------------------------------------------------------------------------


def mention_groups(mentions: list[Mention]) -> list[list[Mention]]:
    """Mentions grouped by place (one misspelling apart, or one the other's leading words,
    count as one name); the most printed first."""
    groups: list[list[Mention]] = []
    for mention in mentions:
        group = next((members for members in groups if same_place(mention.name, members[0].name)), None)
        if group is None:
            groups.append([mention])
        else:
            group.append(mention)
    return sorted(groups, key=lambda members: (-len(members), members[0].line))


def confirmed(text: str, groups: list[list[Mention]]) -> bool:
    """The page's sentences print this name (or a misspelling or a longer form of it)."""
    return bool(city_key(text)) and any(same_place(text, group[0].name) for group in groups)


def choose_city(header: Header, zone: list[Line], groups: list[list[Mention]], source: str) -> None:
    """Set ``header.city``: the label or title, a header line the sentences confirm, or the
    sentences' own name. Raises UnreadableDocument when nothing names the city, or when the
    sentences name two cities about as often (two snapshots in one file)."""
    if len(groups) > 1 and len(groups[1]) >= 2 and 2 * len(groups[1]) >= len(groups[0]):
        names = " and ".join(f"{group[0].name!r} ({len(group)} times)" for group in groups[:2])
        raise UnreadableDocument(source, f"the page's sentences name two cities, {names}; "
                                 "a snapshot describes one city")
    if header.city is None:
        line = next((line for line in zone if not p.POPULATION.match(line.text)
                     and confirmed(split_place(line)[0].value, groups)), None)
        if line is not None:
            header.city, header.region = split_place(line)
            header.consumed.add(line.no)
        elif groups:
            printed = Counter(mention.name for mention in groups[0])
            best = max(groups[0], key=lambda mention: (printed[mention.name], -mention.line))
            header.city, header.region = split_place(Line(best.line, best.name, best.name))
    if header.city is None:
        raise UnreadableDocument(source, "no city name: no City label, no PDF title and no template sentence "
                                 "or heading that names the city (\"Spotlight on innovation in X\", "
                                 "\"Along with 50% of cities surveyed, X ...\")")
    chosen = city_key(header.city.value)
    variants: dict[str, list[int]] = {}  # a misspelling, another form, or another place: where printed
    for group in groups:
        for mention in group:
            if city_key(mention.name) != chosen and mention.line not in variants.get(mention.name, []):
                variants.setdefault(mention.name, []).append(mention.line)
    for name, numbers in variants.items():
        where = "line " + str(numbers[0]) if len(numbers) == 1 else "lines " + ", ".join(map(str, numbers))
        header.warnings.append(f"{where}: city printed as {name!r}, read as {header.city.value!r}")


# --- unlabelled values ------------------------------------------------------------------


def header_zone(bare: list[Line], header: Header, body_start: int | None) -> list[Line]:
    """Lines that may be unlabelled header values: short bare lines above the page's body
    (its first template sentence or heading after the success factors)."""
    return [
        line for line in bare
        if line.no not in header.consumed and not line.cut and not line.bullet and not line.md_level
        and (body_start is None or line.no < body_start) and len(line.text) <= _LONGEST_HEADER_LINE
        and not ends_like_sentence(line.text)
    ]


def place_unlabelled(header: Header, zone: list[Line], lines: list[Line], groups: list[list[Mention]],
                     vocab: Vocabulary) -> None:
    """Country, population, mayor and officers among header lines whose labels are gone."""
    countries = [line for line in zone if line.no not in header.consumed and vocab.lookup("country", line.text)]
    populations = [line for line in zone if p.POPULATION.match(line.text)]
    if header.country is None and countries:
        if len({vocab.lookup("country", line.text).iri for line in countries}) == 1:
            header.country = Sourced(value=countries[0].text, line=countries[0].no)
        else:
            header.warnings.append("header: several country lines (" + ", ".join(
                f"line {line.no} {line.text!r}" for line in countries) + "); country left out")
    header.consumed.update(line.no for line in countries)
    population_line = None
    if len({line.text for line in populations}) == 1:
        population_line = populations[0]
    elif populations:
        header.warnings.append("header: several population lines (" + ", ".join(
            f"line {line.no} {line.text!r}" for line in populations) + "); population left out")
    header.consumed.update(line.no for line in populations)
    if header.population is None and population_line is not None:
        header.population = parse_population(population_line)
    people = {line.no: line for line in zone if line.no not in header.consumed
              and _people_only(line, vocab) and not confirmed(line.text, groups)}
    position = {line.no: index for index, line in enumerate(lines)}
    # the population's line, labelled or not: the anchor of the unlabelled names around it
    population_no = population_line.no if population_line else header.population.line if header.population else None
    if header.mayor is None:
        mayor = _mayor_line(header, population_no, people, lines, position)
        if mayor is not None and len(split_people(mayor)) == 1:
            header.mayor = split_people(mayor)[0]
            header.consumed.add(mayor.no)
    officer_label = any(label.startswith(_OFFICER_LABELS) for label in header.label_lines)
    if not header.officers and population_no is not None and not officer_label:
        for line in lines[position[population_no] + 1 :]:
            if line.no not in people or line.no in header.consumed:
                break
            header.officers.extend(split_people(line))
            header.consumed.add(line.no)
    for line in people.values():
        if line.no not in header.consumed:
            header.warnings.append(f"line {line.no}: {line.text!r} stands in the header, but it is not the city "
                                   f"the page's sentences name ({header.city.value!r}) and no label or population "
                                   "line says whose name it is; left out")
            header.consumed.add(line.no)


def _people_only(line: Line, vocab: Vocabulary) -> bool:
    """Every name in the line is person-shaped: "Jane Doe", "Inês Carvalho (current), Tiago Moreira"."""
    people = split_people(line)
    return bool(people) and all(person_shaped(person.name, vocab) for person in people)


def _mayor_line(header: Header, population_no: int | None, people: dict[int, Line], lines: list[Line],
                position: dict[int, int]) -> Line | None:
    """The person-shaped line just above the population (or its label), else just above
    the officers' label (or the Innovation Website label before it) when no population."""
    if population_no is not None:
        anchor = position[population_no]
    else:
        label_lines = [no for label, no in header.label_lines.items()
                       if label.startswith(_OFFICER_LABELS) or label == "innovation website"]
        if not label_lines:
            return None
        anchor = position[min(label_lines)]
    above = anchor - 1
    while above >= 0 and p.label(lines[above].text) and lines[above].text.lower().startswith("population"):
        above -= 1
    if above < 0:
        return None
    return people.get(lines[above].no)


__all__ = [
    "Header", "Mention", "choose_city", "confirmed", "header_zone", "mention_groups",
    "parse_population", "place_unlabelled", "read_labels", "read_title", "split_people", "split_place",
]
