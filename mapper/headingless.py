"""Place the bare list lines of a page whose section headings are gone.

Without headings a list line says which list it belongs to only through its wording, so
each run of adjacent lines is read against the vocabularies in page order: a line stays
in the current list while that list's scheme prints it, and moves to the next list whose
scheme does. A line no scheme prints is placed only between two lines of one list (a
free-text answer there); elsewhere it is reported, never guessed. A line that prints an
entry of the activities chart legend (cik:chartLegendLabel) is the legend unless an "e.g."
description stands under it, as under the city's own activities.
"""

from __future__ import annotations

from mapper import patterns as p
from mapper.items import Answers, answers_of, item_like, make_item
from mapper.lines import Line
from mapper.state import LIST_SCHEMES
from mapper.vocab import Vocabulary



def place_bare_lines(
    bare: list[Line],
    lines: list[Line],
    lists: dict[str, Answers],
    vocab: Vocabulary,
    warnings: list[str],
    lists_end: int | None = None,
) -> None:
    """Add the bare lines that vocabulary places to ``lists``; report the rest.

    ``lines`` are all the document's lines: runs are bare lines with nothing printed
    between them, and a legend entry is told from an answer by the line under it. Below
    ``lists_end`` (the partnership sentences) policy areas are the data-availability
    chart, whose levels are lost with its labels: they are not the city's priorities.
    """
    position = {line.no: index for index, line in enumerate(lines)}
    described = {line.no for line in bare if _described(line, lines, position)}
    legend = {line.no for line in bare if vocab.is_legend_label(line.text) and line.no not in described}
    for run in _runs([line for line in bare if item_like(line) and line.no not in legend], position):
        sections = [_sections_of(line, vocab, line.no in described) for line in run]
        if lists_end is not None:
            sections = [
                [s for s in options if s != "policy-areas"] if line.no > lists_end else options
                for line, options in zip(run, sections)
            ]
        for line, section in zip(run, _assign(sections)):
            if section is None:
                if sections[run.index(line)] == [] and len(line.text.split()) <= 8:
                    warnings.append(f"line {line.no}: {line.text!r} stands in no list this page names")
                continue
            answers_of(lists, section).add(make_item(line, LIST_SCHEMES[section], vocab))


def _described(line: Line, lines: list[Line], position: dict[int, int]) -> bool:
    """An "e.g." line stands under it: the page describes the answer (activities, funding)."""
    below = position[line.no] + 1
    return below < len(lines) and bool(p.DESCRIPTION.match(lines[below].text))


def _runs(lines: list[Line], position: dict[int, int]) -> list[list[Line]]:
    """Groups of lines that stand next to each other in the document (blank lines aside)."""
    runs: list[list[Line]] = []
    for line in lines:
        if runs and position[line.no] - position[runs[-1][-1].no] == 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    return runs


def _sections_of(line: Line, vocab: Vocabulary, described: bool) -> list[str]:
    """Lists whose scheme prints the line; a described line is an activity if it can be one."""
    schemes = set(vocab.schemes_of(line.text))
    sections = [section for section, scheme in LIST_SCHEMES.items() if scheme in schemes]
    return ["activities"] if described and "activities" in sections else sections


def _assign(options: list[list[str]]) -> list[str | None]:
    """One section per line (None: unplaced), following page order through the run."""
    order = list(LIST_SCHEMES)
    chosen: list[str | None] = []
    current: str | None = None
    for choices in options:
        if current in choices:
            chosen.append(current)
        elif choices:
            later = [c for c in choices if current is None or order.index(c) > order.index(current)]
            current = (later or choices)[0]
            chosen.append(current)
        else:
            chosen.append(None)
    for index, section in enumerate(chosen):  # free text between two answers of one list
        if section is None and 0 < index < len(chosen) - 1 and chosen[index - 1] == chosen[index + 1]:
            chosen[index] = chosen[index - 1]
    return chosen
