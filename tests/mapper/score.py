"""Score citykg's graph against hand-labelled facts (the label format is in fixtures/README.md).

Copied from the team's shared tools (../shared/tools/score.py, which carries no licence header;
the fixtures it scores are declared free to use); only its path handling is adapted, so it runs
from a fresh clone: the `citykg` it calls is the project's own (.venv/bin/citykg beside this
checkout, else the one on PATH), and the label and page folders default to fixtures/ beside it.

Run from anywhere with the project's own interpreter:
  .venv/bin/python tests/mapper/score.py [LABELS PAGES]
Builds each document alone with `citykg build`, exports N-Quads, reads the facts back through the
ontology contract of DESIGN.md, and prints per-field true positives, misses and extras,
then precision, recall and F1. SCORE_MIN_F1 / SCORE_MIN_PRECISION set the exit status.
tests/mapper/test_score.py runs the same scoring as a test.
"""
import glob, json, os, re, shutil, subprocess, sys, tempfile, unicodedata
from pyoxigraph import Store, RdfFormat

CIK = "https://w3id.org/citykg/ontology#"
LIST_FIELDS = {
    "outcomes": "innovationOutcome", "success_factors": "criticalSuccessFactor",
    "focus_areas": "focusesOn", "roles": "employsRole", "terms": "associatesInnovationWith",
    "activities": "innovationActivity", "funding_sources": "fundedBy",
    "funded_activities": "fundsActivity", "partners": "partnersWith", "data_partners": "hasDataPartner",
}
LEVELS = {"sufficient": "Sufficient", "insufficient": "Insufficient", "no_response": "NoResponse"}
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CITYKG = next((path for path in (os.path.join(ROOT, ".venv", "bin", "citykg"), shutil.which("citykg") or "")
               if path and os.path.exists(path)), "citykg")
FIXTURES = os.path.join(HERE, "fixtures")
PRECISION = [0.0]

SPELL = [("organisation", "organization"), ("organisational", "organizational"), ("labour", "labor"),
         ("centred", "centered"), ("prioritise", "prioritize"), ("&", " and "), ("behavioural", "behavioral")]

def norm(s):
    s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode().lower()
    for a, b in SPELL:
        s = s.replace(a, b)
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return " ".join(w for w in s.split() if w not in {"the", "a", "an", "of", "and", "your", "city", "s", "to"})

def same(a, b):
    a, b = norm(a), norm(b)
    if not a or not b:
        return False
    if a == b:
        return True
    ta, tb = set(a.split()), set(b.split())
    return len(ta & tb) / len(ta | tb) >= 0.6

def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)

def build(doc_paths, work):
    store = os.path.join(work, "store")
    r = run([CITYKG, "build", *doc_paths, "--store", store])
    out = os.path.join(work, "out.nq")
    for args in (["export", "--store", store, "--format", "nquads", "-o", out],
                 ["--store", store, "export", "--format", "nquads", "-o", out]):
        e = run([CITYKG, *args])
        if e.returncode == 0 and os.path.exists(out) and os.path.getsize(out) > 0:
            s = Store()
            s.load(path=out, format=RdfFormat.N_QUADS)
            return s, r
    return None, r

def q(store, text):
    res = store.query("PREFIX cik: <%s> PREFIX schema: <http://schema.org/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                      "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX owl: <http://www.w3.org/2002/07/owl#> " % CIK + text,
                      use_default_graph_as_union=True)
    return [[(t.value if t is not None else None) for t in row] for row in res]

def labels_of(store, node):
    rows = q(store, "SELECT ?l WHERE { <%s> (skos:prefLabel|skos:altLabel|rdfs:label|schema:name) ?l }" % node)
    return [r[0] for r in rows] or [node.rsplit("/", 1)[-1].replace("-", " ")]

def facts(store, city):
    f = {}
    one = lambda p: [r[0] for r in q(store, "SELECT ?v WHERE { <%s> %s ?v }" % (city, p))]
    f["city"] = [labels_of(store, city)]
    f["mayor"] = [labels_of(store, n) for n in one("cik:hasMayor")]
    f["lead_officers"] = [labels_of(store, n) for n in one("cik:hasLeadInnovationOfficer")]
    f["country"] = [labels_of(store, n) for n in one("cik:country")]
    for key, prop in (("population", "cik:population"), ("population_year", "cik:populationYear"),
                      ("team_size_min", "cik:teamSize|cik:teamSizeMoreThan"), ("stated_role_count", "cik:statedRoleCount")):
        v = one(prop)
        f[key] = int(re.sub(r"\D", "", v[0])[:9]) if v and re.search(r"\d", v[0]) else None
    for key, prop in (("has_strategy", "cik:hasInnovationStrategy"), ("dedicated_funding", "cik:hasDedicatedFunding")):
        v = one(prop)
        f[key] = (v[0] in ("true", "1")) if v else None
    for key, prop in LIST_FIELDS.items():
        f[key] = [labels_of(store, n) for n in one("cik:" + prop)]
    for key, level in LEVELS.items():
        rows = q(store, "SELECT ?a WHERE { <%s> cik:dataSufficiency ?d . ?d cik:policyArea ?a ; cik:sufficiencyLevel ?l . FILTER(STRENDS(STR(?l), '%s')) }" % (city, level))
        f[key] = [labels_of(store, r[0]) for r in rows]
    f["sameas"] = one("owl:sameAs") + one("skos:closeMatch")
    return f

def score_list(gold, pred):
    """gold: list of alternative-lists; pred: list of label-lists. Returns tp, fn, fp."""
    used, tp = set(), 0
    for alts in gold:
        hit = next((i for i, labels in enumerate(pred) if i not in used and any(same(a, l) for a in alts for l in labels)), None)
        if hit is not None:
            used.add(hit); tp += 1
    return tp, len(gold) - tp, len(pred) - len(used)

def compare(gold, pred, tally, problems, name):
    def add(field, tp, fn, fp):
        t = tally.setdefault(field, [0, 0, 0])
        t[0] += tp; t[1] += fn; t[2] += fp
        if fn or fp:
            problems.append(f"{name}: {field} missed={fn} extra={fp}")
    for field in ("city", "country", "mayor"):
        if field in gold:
            g = gold[field]
            if g is None:
                add(field, 0, 0, 1 if pred[field] else 0)
            else:
                add(field, *score_list([g if isinstance(g, list) else [g]], pred[field][:1] if pred[field] else []))
    if "lead_officers" in gold:
        add("lead_officers", *score_list(gold["lead_officers"], pred["lead_officers"]))
    for field in ("population", "population_year", "has_strategy", "dedicated_funding", "stated_role_count"):
        if field in gold:
            g, p = gold[field], pred.get(field)
            if g is None:
                add(field, 0, 0, 1 if p is not None else 0)
            else:
                add(field, 1 if p == g else 0, 0 if p == g else 1, 1 if (p is not None and p != g) else 0)
    if "team_size_min" in gold:
        p = pred["team_size_min"]
        ok = p is not None and p >= gold["team_size_min"]
        add("team_size", int(ok), int(not ok), 0)
    for field in list(LIST_FIELDS) + list(LEVELS):
        if field in gold:
            add(field, *score_list(gold[field], pred[field]))

def main():
    golden, docs = sys.argv[1:3] if len(sys.argv) > 2 else (os.path.join(FIXTURES, "labels"), os.path.join(FIXTURES, "pages"))
    if os.path.isdir(golden):
        cases = {}
        for p in sorted(glob.glob(os.path.join(golden, "*.json"))):
            d = json.load(open(p))
            cases[os.path.basename(p)[:-5]] = d
    else:
        cases = {n: {**d, "city": d.get("city", [n])} for n, d in json.load(open(golden))["cities"].items()}
    tally, problems, unread = {}, [], []
    for name, gold in cases.items():
        path = os.path.join(docs, gold["file"].replace(".txt", os.environ.get("SCORE_EXT", ".txt")))
        if not os.path.exists(path):
            unread.append(f"{name}: document missing at {path}")
            continue
        with tempfile.TemporaryDirectory() as work:
            store, r = build([path], work)
            if store is None:
                unread.append(f"{name}: build/export failed rc={r.returncode}: {(r.stderr or r.stdout)[-300:]!r}")
                continue
            cities = [r[0] for r in q(store, "SELECT DISTINCT ?c WHERE { ?c a cik:City }")]
            if len(cities) != 1:
                unread.append(f"{name}: {len(cities)} cik:City nodes")
                if not cities:
                    continue
            compare(gold, facts(store, cities[0]), tally, problems, name)
            if "wikidata" in gold:
                pass
    tp = sum(t[0] for t in tally.values()); fn = sum(t[1] for t in tally.values()); fp = sum(t[2] for t in tally.values())
    for field, (a, b, c) in sorted(tally.items()):
        print(f"{field:20} tp={a:4} missed={b:4} extra={c:4}")
    for line in problems + unread:
        print("  " + line)
    prec = tp / (tp + fp) if tp + fp else 0.0
    PRECISION[0] = prec
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    print(f"documents={len(cases)} unread={len(unread)} facts={tp + fn} precision={prec:.3f} recall={rec:.3f} F1={f1:.3f}")
    return f1, len(unread)

if __name__ == "__main__":
    f1, unread = main()
    threshold = float(os.environ.get("SCORE_MIN_F1", "0.95"))
    min_precision = float(os.environ.get("SCORE_MIN_PRECISION", "0"))
    sys.exit(0 if f1 >= threshold and PRECISION[0] >= min_precision and unread == 0 else 1)
