"""Printed variants of the survey's answers map to their concepts (ontology/vocab/*.ttl).

The table is the variants SNAPSHOTS.md and the seed pages print, written down by hand with
the concept each one means.
"""

from __future__ import annotations

import pytest
from pyoxigraph import RdfFormat, parse

from mapper.vocab import ONTOLOGY_DIR, default_vocabulary

V = "https://w3id.org/citykg/vocab/"

PRINTED = [
    ("policy-area", "Transport/Mobility", "transport-mobility"),
    ("policy-area", "Transport / mobility", "transport-mobility"),
    ("policy-area", "Economic Development", "economic-development"),
    ("policy-area", "Social welfare and social services", "social-welfare"),
    ("policy-area", "Social welfare/social services", "social-welfare"),
    ("policy-area", "Housing", "housing"),
    ("policy-area", "Housing and built environment", "housing-built-environment"),
    ("policy-area", "Data-driven decision-making", "data-driven-decision-making"),
    ("outcome", "Serve current obligations", "service-current-obligations"),
    ("outcome", "Service current obligations", "service-current-obligations"),
    ("success-factor", "Human Resource support", "hr-support"),
    ("term", "Human-centred design", "human-centered-design"),
    ("term", "Big picture re-thinking", "big-picture-rethinking"),
    ("activity", "Taking risks or testing new ideas", "taking-risks"),
    ("activity", "Data-driven analytics/public data management", "data-driven-analytics"),
    ("activity", "Promoting data-driven analytics / public data management", "data-driven-analytics"),
    ("activity", "promoting data-driven analytics", "data-driven-analytics"),
    ("activity", "Organizational change within the municipality", "organizational-change"),
    ("activity", "facilitating organisational change within the municipal administration", "organizational-change"),
    ("activity", "Facilitating organizational change within the municipality", "organizational-change"),
    ("activity", "Rethinking your city’s approach to financing partnerships", "financing-partnerships"),
    ("activity", "rethinking the city's approach to financing and partnerships", "financing-partnerships"),
    ("activity", "promoting human-centred design", "human-centered-design"),
    ("funding-source", "Regional/State/Province/Territorial budget", "regional-budget"),
    ("funding-source", "Central/federal/national government budget", "national-budget"),
    ("funding-source", "Higher levels of government", "higher-government"),
    ("funded-activity", "Idea generation & brainstorming", "idea-generation"),
    ("funded-activity", "Idea generation and brainstorming", "idea-generation"),
    ("funded-activity", "Paying for services (to a third party)", "paying-for-services"),
    ("funded-activity", "paying for services to a third party", "paying-for-services"),
    ("funded-activity", "Investing in digital systems", "digital-systems"),
    ("partner", "other public agencies", "other-public-agencies"),
    ("partner", "private firms", "private-sector"),
    ("partner", "the private sector", "private-sector"),
    ("partner", "not-for-profit organisations", "not-for-profit"),
    ("partner", "not-for-profit organizations", "not-for-profit"),
    ("partner", "city residents / resident associations", "residents"),
    ("partner", "city residents/resident associations", "residents"),
    ("partner", "private philanthropy", "philanthropy"),
    ("partner", "local government entities", "local-government"),
]


@pytest.mark.parametrize("scheme, printed, slug", PRINTED)
def test_printed_variant_maps_to_its_concept(scheme, printed, slug):
    concept = default_vocabulary().lookup(scheme, printed)
    assert concept is not None and concept.iri == f"{V}{scheme}/{slug}"


def test_unknown_answer_maps_to_nothing():
    assert default_vocabulary().lookup("policy-area", "Resilience") is None


def test_country_variants():
    vocab = default_vocabulary()
    assert vocab.lookup("country", "United States").iri == "https://w3id.org/citykg/country/united-states"
    assert vocab.lookup("country", "USA").iri == "https://w3id.org/citykg/country/united-states"
    assert vocab.lookup("country", "Colombia").iri == "https://w3id.org/citykg/country/colombia"


def test_every_label_in_the_files_maps_back_to_its_own_concept():
    """No normalised label is shared by two concepts of a scheme (the loader would refuse it)."""
    vocab = default_vocabulary()
    labels = "http://www.w3.org/2004/02/skos/core#"
    checked = 0
    for path in sorted((ONTOLOGY_DIR / "vocab").glob("*.ttl")):
        with path.open("rb") as handle:
            for triple in parse(handle, format=RdfFormat.TURTLE):
                if triple.predicate.value in (labels + "prefLabel", labels + "altLabel"):
                    concept = vocab.concepts.get(triple.subject.value)
                    if concept is None:
                        continue  # the scheme's own title
                    assert vocab.lookup(concept.scheme, triple.object.value).iri == concept.iri
                    checked += 1
    assert checked > 300
