#!/usr/bin/env python3
"""Generate ontology/vocab/country.ttl from the Natural Earth populated places excerpt.

Run once from the repository root (output is committed; rerun only to regenerate):

    python ontology/tools/make_countries.py [path/to/natural-earth-50m-populated-places.csv]

One concept per distinct ``adm0name`` of the gazetteer: ``a cik:Country, skos:Concept``, IRI
``https://w3id.org/citykg/country/<slug>`` (slug: ASCII-folded, lowercase, apostrophes dropped,
other non-alphanumerics -> "-"), ``skos:prefLabel``@en, ``rdfs:label`` (plain), ``skos:altLabel``
for common variants and the ISO 3166-1 alpha-2 code as ``skos:notation``. A few Natural Earth
names are replaced by the form the snapshots (and the OECD) print; the Natural Earth name then
stays as an altLabel.

Each concept is linked to its Wikidata entity from ``seeds/wikidata/countries.csv`` (see
``seeds/wikidata/refresh.py``): the row with the concept's ISO code or, for a code shared by
several territories or none, the row whose name is one of the concept's labels
(``mapper.reconcile.pick_country_row``, which the build's reconciler uses too). A QID both
sources agree on (``verified``) gives ``owl:sameAs``, a one-source QID ``skos:closeMatch``; a
concept no row identifies gets no link and is printed as a warning.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run as a script from anywhere: mapper/ is importable

from mapper.reconcile import parse_country_rows, pick_country_row  # noqa: E402

WIKIDATA_DIR = HERE.parents[1] / "seeds" / "wikidata"
DEFAULT_CSV = WIKIDATA_DIR / "natural-earth-50m-populated-places.csv"
COUNTRY_QIDS = WIKIDATA_DIR / "countries.csv"
OUT = HERE.parent / "vocab" / "country.ttl"

BASE = "https://w3id.org/citykg/"

# Natural Earth adm0name -> the preferred label used here (the Natural Earth name is kept as altLabel).
PREFERRED = {
    "United States of America": "United States",
    "South Korea": "Korea",
    "Hong Kong S.A.R.": "Hong Kong",
    "Macau S.A.R": "Macau",
    "Congo (Brazzaville)": "Republic of the Congo",
    "Congo (Kinshasa)": "Democratic Republic of the Congo",
    "Guinea Bissau": "Guinea-Bissau",
    "eSwatini": "Eswatini",
    "Curacao": "Curaçao",
    "Aland": "Åland",
}

# Extra altLabels, keyed by the preferred label.
ALT = {
    "United States": ["USA", "US", "U.S.", "U.S.A.", "United States of America"],
    "United Kingdom": ["UK", "U.K.", "Great Britain", "Britain",
                       "United Kingdom of Great Britain and Northern Ireland"],
    "Korea": ["South Korea", "Republic of Korea", "Korea, Republic of", "Korea (Republic of)", "Korea, South"],
    "North Korea": ["Democratic People's Republic of Korea", "DPRK", "Korea, North"],
    "Russia": ["Russian Federation"],
    "Czechia": ["Czech Republic"],
    "Slovakia": ["Slovak Republic"],
    "Turkey": ["Türkiye", "Turkiye", "Republic of Türkiye"],
    "Netherlands": ["The Netherlands", "Holland"],
    "Vietnam": ["Viet Nam"],
    "Laos": ["Lao PDR", "Lao People's Democratic Republic"],
    "Iran": ["Islamic Republic of Iran", "Iran, Islamic Republic of"],
    "Syria": ["Syrian Arab Republic"],
    "Moldova": ["Republic of Moldova"],
    "Tanzania": ["United Republic of Tanzania"],
    "Bolivia": ["Plurinational State of Bolivia"],
    "Venezuela": ["Bolivarian Republic of Venezuela"],
    "Brunei": ["Brunei Darussalam"],
    "Cape Verde": ["Cabo Verde"],
    "North Macedonia": ["Macedonia", "Republic of North Macedonia"],
    "Vatican": ["Vatican City", "Holy See"],
    "Federated States of Micronesia": ["Micronesia"],
    "Palestine": ["State of Palestine", "Palestinian Territories"],
    "Ivory Coast": ["Côte d'Ivoire", "Cote d'Ivoire"],
    "East Timor": ["Timor-Leste"],
    "The Bahamas": ["Bahamas"],
    "The Gambia": ["Gambia"],
    "Eswatini": ["Swaziland"],
    "Myanmar": ["Burma"],
    "Hong Kong": ["Hong Kong SAR", "Hong Kong, China", "Hong Kong SAR, China"],
    "Macau": ["Macao", "Macau SAR", "Macao SAR", "Macao, China"],
    "Republic of the Congo": ["Congo-Brazzaville", "Congo, Republic of the"],
    "Democratic Republic of the Congo": ["DR Congo", "DRC", "Congo-Kinshasa", "Congo, Democratic Republic of the"],
    "Taiwan": ["Chinese Taipei"],
    "China": ["People's Republic of China"],
    "United Arab Emirates": ["UAE"],
    "Mexico": ["México"],
    "Peru": ["Perú"],
    "Brazil": ["Brasil"],
    "Svalbard and Jan Mayen Islands": ["Svalbard and Jan Mayen"],
    "Bosnia and Herzegovina": ["Bosnia-Herzegovina"],
    "Antigua and Barbuda": ["Antigua & Barbuda"],
    "Trinidad and Tobago": ["Trinidad & Tobago"],
    "Saint Kitts and Nevis": ["St Kitts and Nevis", "St. Kitts and Nevis"],
    "Saint Lucia": ["St Lucia", "St. Lucia"],
    "Saint Vincent and the Grenadines": ["St Vincent and the Grenadines", "St. Vincent and the Grenadines"],
    "Sao Tome and Principe": ["São Tomé and Príncipe"],
    "Åland": ["Åland Islands", "Aland Islands"],
    "New Zealand": ["Aotearoa New Zealand"],
}


def slug(text: str) -> str:
    """ASCII-folded, lowercase, apostrophes dropped, runs of other non-alphanumerics -> '-'."""
    try:
        from unidecode import unidecode

        ascii_text = unidecode(text)
    except ImportError:  # pragma: no cover - same result for the names in the gazetteer
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = re.sub(r"['’‘`]", "", ascii_text).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_CSV
    qid_table = parse_country_rows(COUNTRY_QIDS.read_text(encoding="utf-8"))
    codes: dict[str, Counter] = defaultdict(Counter)
    capital_code: dict[str, str] = {}
    with src.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name, iso = row["adm0name"].strip(), row["iso_a2"].strip()
            codes[name][iso] += 1
            if row["featurecla"].startswith("Admin-0 capital") and iso != "-99":
                capital_code.setdefault(name, iso)

    concepts = []
    for ne_name in sorted(codes):
        # One code per country: the capital's (France: FR, not its overseas departments), else the commonest.
        iso = capital_code.get(ne_name) or codes[ne_name].most_common(1)[0][0]
        pref = PREFERRED.get(ne_name, ne_name)
        alts = [a for a in ([ne_name] if pref != ne_name else []) + ALT.get(pref, []) if a != pref]
        alts = list(dict.fromkeys(alts))
        code = None if iso == "-99" else iso
        concepts.append((slug(pref), pref, alts, code, pick_country_row(code, [pref, *alts], qid_table)))

    slugs = Counter(c[0] for c in concepts)
    dup = [s for s, n in slugs.items() if n > 1]
    if dup:
        raise SystemExit(f"duplicate country slugs: {dup}")
    concepts.sort()

    out = [
        "# Generated by ontology/tools/make_countries.py from the Natural Earth 1:50m populated places",
        "# (v5.0.0, public domain): one concept per distinct country name (adm0name), ISO 3166-1",
        "# alpha-2 code (iso_a2) as skos:notation; Wikidata links from seeds/wikidata/countries.csv",
        "# (owl:sameAs: both sources agree; skos:closeMatch: one source). Edit the generator, not this file.",
        "",
        "@prefix cik: <https://w3id.org/citykg/ontology#> .",
        "@prefix country: <https://w3id.org/citykg/country/> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix wd: <http://www.wikidata.org/entity/> .",
        "",
        "<https://w3id.org/citykg/vocab/country> a skos:ConceptScheme ;",
        '    skos:prefLabel "Countries"@en ;',
        '    dct:title "Countries"@en ;',
        '    rdfs:label "Countries"@en ;',
        '    skos:definition "Countries and territories in which surveyed cities lie: each is a cik:Country '
        'and a skos:Concept, labelled with the name the snapshots print and common variants, '
        'with its ISO 3166-1 alpha-2 code as notation."@en ;',
        '    dct:source "Natural Earth 1:50m populated places v5.0.0 (public domain)" ;',
        "    dct:license <https://creativecommons.org/licenses/by/4.0/> ;",
        "    skos:hasTopConcept " + ",\n        ".join(f"country:{s}" for s, *_ in concepts) + " .",
        "",
    ]
    unlinked = []
    for s, pref, alts, iso, row in concepts:
        lines = [
            f"country:{s} a cik:Country, skos:Concept ;",
            "    skos:inScheme <https://w3id.org/citykg/vocab/country> ;",
            "    skos:topConceptOf <https://w3id.org/citykg/vocab/country> ;",
            f"    skos:prefLabel {lit(pref)}@en ;",
            f"    rdfs:label {lit(pref)} ;",
        ]
        if alts:
            lines.append("    skos:altLabel " + ", ".join(f"{lit(a)}@en" for a in alts) + " ;")
        if iso:
            lines.append(f'    skos:notation "{iso}" ;')
        if row:
            lines.append(f"    {'owl:sameAs' if row.verified else 'skos:closeMatch'} wd:{row.qid} ;")
        else:
            unlinked.append(pref)
        lines[-1] = lines[-1][:-2] + " ."
        out.extend(lines + [""])
    OUT.write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {OUT} ({len(concepts)} countries, {len(concepts) - len(unlinked)} linked to Wikidata)")
    if unlinked:
        print("no Wikidata link (no countries.csv row identifies them): " + ", ".join(unlinked))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
