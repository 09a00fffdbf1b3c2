"""The header block: city, country, mayor, population, lead innovation officer(s).

Three forms reach us: labelled (``Mayor`` on a line, the name on the next; or the PDF's
``Mayor: name``), unlabelled (labels lost: the values stand alone, in page order), and the
PDF title ``City Innovation Snapshot | City, Country``. Unlabelled values are placed by
their shape and by the population line, the one value whose form is unmistakable: the name
just before it is the mayor's, the names just after it the officers'. Nothing is placed
without such an anchor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mapper import patterns as p
from mapper.lines import Line
from mapper.model import Person, Population, Sourced
from mapper.vocab import Vocabulary

_NAME_WORD = re.compile(r"^[^\W\d_][\w'.\-]*$")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|gov|net|gob|gov\.\w+)\b", re.IGNORECASE)
_REGION = re.compile(r"^[A-Z]{2,3}$")


@dataclass
class Header:
    city: Sourced[str] | None = None
    region: Sourced[str] | None = None
    country: Sourced[str] | None = None
    mayor: Person | None = None
    population: Population | None = None
    officers: list[Person] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)  # line numbers used by the header
    labelled: bool = False


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


def looks_like_name(text: str, vocab: Vocabulary) -> bool:
    """A person's name: 2 to 7 words of letters, not an answer label or a country."""
    words = p.NAME_ANNOTATION.sub(" ", text).split()
    if not 2 <= len(words) <= 7 or text.endswith((".", ":", "?")):
        return False
    if not all(_NAME_WORD.match(word) for word in words):
        return False
    return not vocab.schemes_of(text)


def read_labelled(lines: list[Line], vocab: Vocabulary) -> Header:
    """Header values that follow their labels; ``lines`` are the document's lines."""
    header = Header()
    for index, line in enumerate(lines):
        match = p.LABEL.match(line.text)
        if not match or line.sentence_only:
            continue
        label = match.group("label").lower()
        header.labelled = True
        header.consumed.add(line.no)
        inline = (match.group("value") or "").strip()
        values = [Line(line.no, inline, inline)] if inline else _values_after(lines, index, label, vocab)
        _assign(header, label, values, vocab)
    return header


def _values_after(lines: list[Line], index: int, label: str, vocab: Vocabulary) -> list[Line]:
    """The value lines of a label printed on its own line."""
    values: list[Line] = []
    for line in lines[index + 1 :]:
        if p.LABEL.match(line.text) or line.bullet or line.md_level or line.sentence_only:
            break
        if label == "innovation website":
            return [line] if _URL.search(line.text) else []
        if label.startswith("population"):
            return [line] if p.POPULATION.match(line.text) else []
        if label == "mayor":
            return [line] if looks_like_name(line.text, vocab) else []
        if label in {"city", "country"}:
            return [line]
        if not _officer_line(line, vocab):
            break
        values.append(line)
    return values


def _officer_line(line: Line, vocab: Vocabulary) -> bool:
    """Every name in the line is a person's name (a single word too: "Lula"), not "N/A"."""
    return all(
        looks_like_name(person.name, vocab) or (_NAME_WORD.match(person.name) and person.name[0].isupper())
        for person in split_people(line)
    )


def _assign(header: Header, label: str, values: list[Line], vocab: Vocabulary) -> None:
    for value in values:
        header.consumed.add(value.no)
    if not values:
        return
    first = values[0]
    if label == "city" and header.city is None:
        header.city, header.region = split_place(first)
    elif label == "country" and header.country is None:
        header.country = Sourced(value=first.text, line=first.no)
    elif label == "mayor" and header.mayor is None:
        people = split_people(first)
        header.mayor = people[0] if people else None
    elif label.startswith("population") and header.population is None:
        header.population = parse_population(first)
    elif label.startswith(("lead", "chief")) and not header.officers:
        header.officers = [person for value in values for person in split_people(value)]


def split_place(line: Line, text: str | None = None) -> tuple[Sourced[str], Sourced[str] | None]:
    """ "Denver, CO" -> city "Denver", region "CO"; other text is the city as printed."""
    text = (text if text is not None else line.text).strip()
    name, _, rest = text.rpartition(",")
    if name and _REGION.match(rest.strip()):
        return Sourced(value=name.strip(), line=line.no), Sourced(value=rest.strip(), line=line.no)
    return Sourced(value=text, line=line.no), None


def read_title(line: Line, vocab: Vocabulary, header: Header) -> bool:
    """The PDF title "City Innovation Snapshot | Saltillo, Mexico"; True when it matched."""
    match = p.PDF_TITLE.match(line.text)
    if not match:
        return False
    parts = [part.strip() for part in match.group("place").split(",") if part.strip()]
    if len(parts) > 1 and vocab.lookup("country", parts[-1]):
        header.country = header.country or Sourced(value=parts.pop(), line=line.no)
    if parts:
        header.city, header.region = split_place(line, ", ".join(parts))
    header.consumed.add(line.no)
    return True


def place_unlabelled(header: Header, candidates: list[Line], vocab: Vocabulary, city_names: set[str]) -> None:
    """Place header values whose labels are gone, from ``candidates`` in page order.

    ``city_names`` are the normalised city names the page's sentences mention: a lone
    line equal to one of them is the city line.
    """
    free = [line for line in candidates if line.no not in header.consumed and not line.sentence_only]
    population_at = next((i for i, line in enumerate(free) if p.POPULATION.match(line.text)), None)
    for line in free[: population_at if population_at is not None else len(free)]:
        if header.country is None and vocab.lookup("country", line.text):
            header.country = Sourced(value=line.text, line=line.no)
            header.consumed.add(line.no)
        elif header.city is None and _is_city_line(line, city_names):
            header.city, header.region = split_place(line)
            header.consumed.add(line.no)
    if population_at is None:
        return
    pop_line = free[population_at]
    if header.population is None:
        header.population = parse_population(pop_line)
        header.consumed.add(pop_line.no)
    before = free[population_at - 1] if population_at > 0 else None
    if header.mayor is None and before is not None and before.no not in header.consumed:
        if looks_like_name(before.text, vocab):
            header.mayor = split_people(before)[0]
            header.consumed.add(before.no)
    if not header.officers:
        for line in free[population_at + 1 :]:
            if not looks_like_name(line.text, vocab) or line.no in header.consumed:
                break
            header.officers.extend(split_people(line))
            header.consumed.add(line.no)


def _is_city_line(line: Line, city_names: set[str]) -> bool:
    from mapper.text import normalise_label

    city, _ = split_place(line)
    return normalise_label(city.value) in city_names
