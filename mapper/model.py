"""Pydantic models of one City Innovation Snapshot as printed.

The models hold what the document *says*, as printed, with the 1-based source line of every
value, so a reviewer can check each fact against its text. Mapping printed labels to
vocabulary concepts happens later (``mapper.vocab``, ``mapper.rdf``): keeping the printed form
here means a value no concept covers is never lost.
"""

from __future__ import annotations

from enum import Enum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Rendering(str, Enum):
    """The four renderings a snapshot reaches users in (DESIGN.md, "Renderings")."""

    LABELLED = "labelled-web-page"
    UNLABELLED = "unlabelled-web-page"
    FLAT = "flat-web-page"
    PDF_MARKDOWN = "pdf-markdown"


class Approach(str, Enum):
    """How the city approaches innovation capacity."""

    HOLISTIC = "holistic"
    SPECIFIC = "specific-policy-areas"
    BOTH = "both"


class SufficiencyLevel(str, Enum):
    SUFFICIENT = "Sufficient"
    INSUFFICIENT = "Insufficient"
    NO_RESPONSE = "NoResponse"


class Section(str, Enum):
    """Sections of a snapshot, in page order; used to report what a document lacks."""

    HEADER = "header"
    OUTCOMES = "outcomes"
    SUCCESS_FACTORS = "success-factors"
    SPOTLIGHT = "spotlight"
    STRATEGY = "strategy"
    APPROACH = "approach"
    POLICY_AREAS = "policy-areas"
    ROLES = "roles"
    TEAM = "team"
    TERMS = "terms"
    ACTIVITIES = "activities"
    FUNDING = "funding"
    FUNDING_SOURCES = "funding-sources"
    FUNDED_ACTIVITIES = "funded-activities"
    PARTNERSHIPS = "partnerships"
    DATA_PARTNERSHIPS = "data-partnerships"
    DATA_AVAILABILITY = "data-availability"


class Sourced(BaseModel, Generic[T]):
    """A value with the 1-based line of the document it was read from."""

    model_config = ConfigDict(frozen=True)

    value: T
    line: int = Field(ge=1)


class Item(BaseModel):
    """One printed answer in a list or an enumeration (a role, a funding source, ...).

    ``text`` is the answer as printed (case kept, markup removed); ``note`` holds what the
    page prints beside it (an annotation in brackets, an ``Area: explanation`` paragraph).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    line: int = Field(ge=1)
    note: str | None = None


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    line: int = Field(ge=1)
    annotation: str | None = None  # "current", "at time of 2018 survey": not part of the name


class Population(BaseModel):
    model_config = ConfigDict(frozen=True)

    count: int = Field(ge=0)
    year: int | None = None
    line: int = Field(ge=1)


class TeamSize(BaseModel):
    """Staff of the innovation team as stated.

    ``count`` is the figure ("consists of 14 staff"); ``more_than`` marks "more than 100
    people"; a range "3-5 staff" has ``count`` 3 and ``up_to`` 5. Either makes ``count`` a
    lower bound rather than the exact staff.
    """

    model_config = ConfigDict(frozen=True)

    count: int = Field(ge=0)
    more_than: bool = False
    up_to: int | None = None
    line: int = Field(ge=1)

    @property
    def exact(self) -> bool:
        return not self.more_than and self.up_to is None


class DataRating(BaseModel):
    model_config = ConfigDict(frozen=True)

    area: Item
    level: SufficiencyLevel


class Snapshot(BaseModel):
    """Everything one document states about one city. Absent means not stated."""

    source: str  # file name (or other identifier) of the document
    source_sha256: str | None = None  # of the text as read, so provenance names the exact version
    rendering: Rendering
    survey_round: Sourced[int] | None = None

    city: Sourced[str]
    region: Sourced[str] | None = None  # "CO" in "Denver, CO"
    country: Sourced[str] | None = None
    mayor: Person | None = None
    population: Population | None = None
    lead_officers: list[Person] = []

    outcomes: list[Item] = []
    success_factors: list[Item] = []
    spotlight: Sourced[str] | None = None

    has_strategy: Sourced[bool] | None = None
    approach: Sourced[Approach] | None = None
    prioritises_policy_areas: Sourced[bool] | None = None
    policy_areas: list[Item] = []

    stated_role_count: Sourced[int] | None = None
    roles: list[Item] = []
    team_structures: list[Item] = []
    team_size: TeamSize | None = None

    terms: list[Item] = []
    activities: list[Item] = []

    has_dedicated_funding: Sourced[bool] | None = None
    funding_sources: list[Item] = []
    funded_activities: list[Item] = []

    partnerships_internal_only: Sourced[bool] | None = None
    partners: list[Item] = []
    data_partners: list[Item] = []

    data_counts: list[int] = []  # the "5 7 3" checksum printed above the three lists
    data_ratings: list[DataRating] = []

    sections_found: list[Section] = []
    sections_missing: list[Section] = []
    truncated: bool = False
    warnings: list[str] = []
