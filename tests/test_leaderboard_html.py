"""Pure-Python checks of the rendered leaderboard: offline, counts match scores.csv, hostile text escaped."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from locbench.errors import InputError
from locbench.leaderboard import mapscale, render, worldsvg
from test_leaderboard_html_fixture import HOSTILE, UNDEFINED_REASON, make_version


class Page(HTMLParser):
    """Collects what the tests assert on: links, tags, tables, script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attr, value)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.tables: dict[str, dict] = {}
        self._table: str | None = None
        self._section: str | None = None
        self._row: list | None = None
        self._cell: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, a))
        for k in ("src", "href", "action", "srcset", "poster", "data"):
            if k in a:
                self.urls.append((tag, k, a[k]))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        elif tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = {"head": [], "body": []}
        elif tag in ("thead", "tbody") and self._table:
            self._section = "head" if tag == "thead" else "body"
        elif tag == "tr" and self._table and self._section:
            self._row = []
            self.tables[self._table][self._section].append(self._row)
        elif tag in ("th", "td") and self._row is not None:
            self._cell = {"tag": tag, "text": "", **a}
            self._row.append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        elif tag == "table":
            self._table = self._section = None
        elif tag in ("th", "td"):
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        if self._cell is not None:
            self._cell["text"] += data


def parse(path: Path) -> tuple[str, Page]:
    text = path.read_text(encoding="utf-8")
    p = Page()
    p.feed(text)
    return text, p


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("lb")
    old = make_version(root, version="v0001", seed=1)
    vdir = make_version(root, version="v0002", seed=0)
    render.render_version(old, versions=["v0001"], root=root / "no-results-here")
    pages = render.render_version(vdir, versions=["v0001", "v0002"], root=root)
    latest = render.render_latest(root / "leaderboard")
    with open(vdir / "scores.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {"root": root, "vdir": vdir, "pages": pages, "latest": latest, "csv": rows}


def all_pages(site: dict) -> list[Path]:
    return sorted((site["root"] / "leaderboard").rglob("*.html"))


def test_every_page_is_self_contained(site: dict) -> None:
    pages = all_pages(site)
    assert len(pages) >= 2 * (1 + 6 + 18) + 1
    for path in pages:
        text, p = parse(path)
        # nothing is loaded from the network; model-card links are the only outbound anchors (issue 11.7)
        assert not re.search(r"""src\s*=\s*["']?\s*(https?:)?//""", text, re.I), path
        for tag, attr, url in p.urls:
            assert not re.match(r"\s*javascript:", url, re.I), (path.name, tag, attr, url)
            if re.match(r"\s*(https?:|//)", url, re.I):
                a = next(a for t, a in p.tags if t == tag and a.get(attr) == url)
                assert tag == "a" and "noopener" in a.get("rel", "") and "ext" in a.get("class", ""), (path, url)
            if tag == "img":
                assert url.startswith("data:image/png;base64,"), url[:40]
        # CSS and JS are the version's shared, content-hashed files (issue 24): relative links that resolve
        shared = [a.get("href") for t, a in p.tags if t == "link"] + [a["src"] for t, a in p.tags
                                                                       if t == "script" and a.get("src")]
        assert shared and all(re.fullmatch(r"(v\d{4}/)?assets/[a-z]+-[0-9a-f]{12}\.(css|js)", u) for u in shared), path
        assert all((path.parent / u).is_file() for u in shared), path
        assert all(a.get("rel") == "stylesheet" for t, a in p.tags if t == "link"), path
        assert "@import" not in text and "url(http" not in text


def test_relative_links_resolve(site: dict) -> None:
    for path in all_pages(site):
        _, p = parse(path)
        for tag, attr, url in p.urls:
            if tag != "a" or url.startswith(("#", "data:", "https:", "http:")):
                continue
            target = (path.parent / url.split("#", 1)[0]).resolve()
            assert target.exists(), f"{path.relative_to(site['root'])}: broken link {url}"
        options = [a["value"] for t, a in p.tags if t == "option"]
        for url in options:
            assert (path.parent / url).resolve().exists(), url


def test_overview_rows_and_columns_match_scores_csv(site: dict) -> None:
    rows = site["csv"]
    models = {r["model_id"] for r in rows}
    datasets = {r["dataset"] for r in rows}
    for path in (site["vdir"] / "index.html", site["latest"]):
        _, p = parse(path)
        t = p.tables["overview"]
        metric_row = t["head"][-1]
        assert len(metric_row) == 2 + 2 * len(datasets)  # mean rank, LocBench Avg, (primary, geo-bias) per dataset
        assert all(c["tag"] == "th" and c.get("scope") == "col" and c.get("aria-sort") == "none" for c in metric_row)
        dataset_row = t["head"][1]
        assert {c["text"].strip() for c in dataset_row[1:]} == datasets
        groups = [c["text"].strip() for c in t["head"][0]]
        # families come from the policy: an unregistered GAIR set falls back to its group and task type
        assert groups == ["Model", "Summary", "LocBench classification", "LocBench regression", "GAIR classification",
                          "Embedded"]
        assert len(t["body"]) == len(models)
        names = {r["model_name"] for r in rows}
        assert {r[0]["text"].replace("unverified (not verified against data)", "").strip() for r in t["body"]} == names
        for r in t["body"]:
            assert r[0]["tag"] == "th" and r[0]["scope"] == "row"
            assert len(r) == 1 + len(metric_row)


def _headlines(site: dict) -> tuple[dict, dict]:
    doc = json.loads((site["vdir"] / "scores.json").read_text())
    value = {(r["model_id"], r["dataset"]): r["geobias"]["headline_value"] for r in doc["rows"]}
    sig = {(r["model_id"], r["dataset"]): r["geobias"]["headline_significant"] for r in doc["rows"]}
    return value, sig


def test_overview_values_and_best_marks(site: dict) -> None:
    rows = site["csv"]
    HEADLINE, SIGNIFICANT = _headlines(site)
    _, p = parse(site["vdir"] / "index.html")
    t = p.tables["overview"]
    order = [c["data-col"] for c in t["head"][-1]]
    ds_order = [c["text"].strip() for c in t["head"][1][1:]]
    by_name = {r[0]["text"].replace("unverified (not verified against data)", "").strip(): r for r in t["body"]}
    for r in rows:
        j = 2 + 2 * ds_order.index(r["dataset"])  # 0-based among metric columns
        cell = by_name[r["model_name"]][1 + j]
        assert order[j] == str(j + 1)
        assert (float(cell["data-v"]) if cell.get("data-v") else None) == (float(r["primary_value"]) if r["primary_value"] else None)
        geo = by_name[r["model_name"]][2 + j]
        want = HEADLINE[(r["model_id"], r["dataset"])]
        if want is None:  # undefined, with the engine's reason
            assert "data-v" not in geo and geo["text"].strip() == "undefined" and "undef" in geo["class"]
            assert UNDEFINED_REASON in geo["title"]
        else:
            assert float(geo["data-v"]) == pytest.approx(want)
    flagged = {n for n, r in by_name.items() if "not verified against data" in r[0]["text"]}
    assert flagged == {r["model_name"] for r in rows if r["verified"] == "False"} == {HOSTILE}
    # direction-aware best: max Top-1 on birdsnap, min MAE on embedded_elevation
    for ds, key, pick in (("birdsnap", "primary_value", max), ("embedded_elevation", "primary_value", min)):
        vals = {r["model_name"]: float(r[key]) for r in rows if r["dataset"] == ds and r[key] != ""}
        best = pick(vals.values())
        j = 2 + 2 * ds_order.index(ds)
        marked = {n for n, r in by_name.items() if "best" in r[1 + j]["class"].split()}
        assert marked == {n for n, v in vals.items() if v == best}
    # geo-bias best: the policy's least-geo-biased verdict (issue 20.2): never a negative, non-significant or
    # baseline value, never a model not better than the reference
    verdicts = render.load_version(site["vdir"]).verdict
    names = {r["model_id"]: r["model_name"] for r in rows}
    for ds in ds_order:
        j = 2 + 2 * ds_order.index(ds) + 1
        marked = {n for n, r in by_name.items() if "best" in r[1 + j]["class"].split()}
        picked = verdicts.datasets[ds].least_geobiased
        assert marked == {names[m] for m in picked}, ds
        for m in picked:
            assert HEADLINE[(m, ds)] > 0 and SIGNIFICANT[(m, ds)] and m != "torchspatial-no-prior"


def test_hostile_strings_are_escaped(site: dict) -> None:
    hostile_pages = [site["vdir"] / "index.html", site["latest"], site["vdir"] / "dataset-birdsnap.html",
                     site["vdir"] / render.model_href("hostile-model")]
    for path in hostile_pages:
        text, p = parse(path)
        assert HOSTILE not in text and "<b>Mallory</b>" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        scripts = [a for t, a in p.tags if t == "script"]  # our JSON block and our shared JS files, nothing injected
        assert sum(1 for a in scripts if not a.get("src")) == 1
        assert all(re.fullmatch(r"(v\d{4}/)?assets/(table|worldmap)-[0-9a-f]{12}\.js", a["src"]) for a in scripts
                   if a.get("src"))
        assert not any(t == "img" and a.get("src") == "x" for t, a in p.tags)
        assert not any(k.startswith("on") for _, a in p.tags for k in a)  # no event-handler attributes at all
        data = next(s for s in p.scripts if s.lstrip().startswith("{"))
        assert "</" not in data and "<!--" not in data and "\u2028" not in data and "\u2029" not in data
    _, p = parse(site["vdir"] / "index.html")
    doc = json.loads(next(s for s in p.scripts if s.lstrip().startswith("{")))
    assert HOSTILE in {m["name"] for m in doc["models"]}  # escaped in transit, intact once parsed
    text = (site["vdir"] / render.model_href("hostile-model")).read_text()
    assert "javascript:alert(3)" in text and 'href="javascript' not in text  # only http(s) card URLs become links


def test_json_script_escapes_everything_that_could_close_the_tag() -> None:
    s = str(render.json_script({"a": "</script><!-- \u2028\u2029 & >", "n": float("nan")}))
    assert "<" not in s and ">" not in s and "&" not in s and "\u2028" not in s and "\u2029" not in s
    assert json.loads(s) == {"a": "</script><!-- \u2028\u2029 & >", "n": None}


def test_accessibility_conventions(site: dict) -> None:
    for path in (site["vdir"] / "index.html", site["vdir"] / "dataset-inat2018.html",
                 site["vdir"] / render.model_href("torchspatial-nerf")):
        text, p = parse(path)
        ths = [a for t, a in p.tags if t == "th"]
        assert ths and all(a.get("scope") in ("col", "row", "colgroup") for a in ths), path
        assert all(a.get("aria-sort") in ("none", None) for a in ths)
        assert '<html lang="en">' in text and 'name="viewport"' in text
        assert all(a.get("alt") for t, a in p.tags if t == "img")
    _, p = parse(site["vdir"] / "index.html")
    tds = [c for r in p.tables["overview"]["body"] for c in r if c["tag"] == "td"]
    # every cell sorts by its data-v; a missing value (class na) has none and sorts last
    assert tds and all("num" in c["class"].split() and (c.get("data-v") or "na" in c["class"].split()) for c in tds)
    titles = [c.get("title", "") for c in p.tables["overview"]["head"][-1]]
    assert all(("better" in t) for t in titles)  # every metric tooltip states its direction
    # scores.json `columns` descriptions win; our defaults fill the rest
    assert any(t.startswith("top1 from the fixture on birdsnap") for t in titles)
    assert any(t.startswith("Mean of the model's per-dataset ranks") for t in titles)


def test_overview_sections(site: dict) -> None:
    text, p = parse(site["vdir"] / "index.html")
    for needle in ("locbench submit submissions/&lt;model-id&gt; --check", "locbench submit submissions/&lt;model-id&gt;</pre>",
                   "locbench leaderboard build", "submissions/README.md", "submission.json", "How to submit",
                   "not verified against data", "Mean rank", "LocBench Avg", "18 models"):
        assert needle in text, needle
    ids = {a.get("id") for _, a in p.tags}
    assert {"filter", "version-select", "changes", "legend", "submit", "datasets"} <= ids
    options = [(a["value"], "selected" in a) for t, a in p.tags if t == "option"]
    assert options == [("index.html", True), ("../v0001/index.html", False)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (submission)" in text  # CHANGES.md rendered, escaped
    latest_text, lp = parse(site["latest"])
    assert [a["value"] for t, a in lp.tags if t == "option"] == ["v0002/index.html", "v0001/index.html"]
    assert 'href="v0002/dataset-birdsnap.html"' in latest_text


def test_dataset_page_lists_every_metric_geobias_score_and_parameter(site: dict) -> None:
    text, p = parse(site["vdir"] / "dataset-birdsnap.html")
    metric_labels = [c["text"].strip() for c in p.tables["t-metrics-table"]["head"][0]]
    assert metric_labels[:5] == ["Model", "Top-1 %↑", "Top-3 %↑", "MRR↑", "Macro-F1↑"]
    ref = [c["text"].strip() for c in p.tables["t-geobias-table"]["head"][0]]
    assert ref == ["Model", "mSSI↓", "SRI grid↓", "SRI lag↓", "SRI dir↓"]  # reference-compatible, labelled
    assert "eference-compatible (TorchSpatial / PyGBS); confounded by accuracy" in text
    assert not any("best" in c["class"] for r in p.tables["t-geobias-table"]["body"] for c in r[1:])
    # identical for every model: a dataset property shown once, not per model
    assert ">uSSI = " in text and ">SSI NaN ROIs = 2<" in text
    geo = [c["text"].strip() for c in p.tables["t-diagnostics-table"]["head"][0]]
    for label in ("Moran's I→0", "Geary's C"):
        assert label in geo, (label, geo)
    # 0.01 with 99 permutations is the floor, read "p < 0.01" (never "p = < 0.01"); the analytic p is a number
    assert ">Moran p (perm.) &lt; 0.01<" in text and "= &lt;" not in text
    assert ">Moran p = 0.010<" in text
    head = [c["text"].strip() for c in p.tables["t-headline-table"]["head"][0]]
    assert head == ["Model", "Geo-bias↓", "Geo-bias z", "Geo-bias p"]
    n_models = sum(1 for r in site["csv"] if r["dataset"] == "birdsnap")
    assert len(p.tables["t-metrics-table"]["body"]) == n_models
    for k in ("radius", "roi_k", "weight_k", "scale", "lag", "sectors", "permutations"):
        assert f"<dt><code>{k}</code></dt>" in text
    assert "<svg" in text and text.count("<circle") == n_models - 1  # rbf has no marked SSI here
    # no diagnostic value is crowned: a Moran's I near zero (or negative) is "no detectable clustering", not "best"
    assert not any("best" in c["class"] for r in p.tables["t-diagnostics-table"]["body"] for c in r[1:])


def test_model_page_card_results_and_maps(site: dict) -> None:
    text, p = parse(site["vdir"] / render.model_href("torchspatial-nerf"))
    assert "TorchSpatial NeRF location encoder" in text and "https://arxiv.org/abs/2406.15658" in text
    body = p.tables["model-results"]["body"]
    assert len(body) == sum(1 for r in site["csv"] if r["model_id"] == "torchspatial-nerf")
    maps_ = [a for t, a in p.tags if t == "svg" and a.get("class") == "map"]
    assert len(maps_) >= 2  # birdsnap and mosaiks_population performance maps (SVG, shared land files)
    assert all(a["width"] == "900" for a in maps_)
    assert "gair_eurosat" in text and "no result file" in text  # missing predictions are explained


def test_page_sizes(site: dict) -> None:
    assert (site["vdir"] / "index.html").stat().st_size < 200_000
    assert site["latest"].stat().st_size < 200_000
    for path in site["pages"]:
        assert path.stat().st_size < 1_000_000, path


def test_load_version_errors_name_the_file_and_row(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="scores.json"):
        render.load_version(tmp_path)
    (tmp_path / "scores.json").write_text('{"rows": [{"model_id": "a", "dataset": "d"}, {"model_id": "b"}]}')
    with pytest.raises(InputError) as exc:
        render.load_version(tmp_path)
    assert exc.value.problem.row == 1 and exc.value.problem.column == "dataset"
    (tmp_path / "scores.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        render.load_version(tmp_path)
    with pytest.raises(InputError, match="no leaderboard version"):
        render.render_latest(tmp_path)


def test_helpers() -> None:
    assert render.best_flags([1.0, None, 3.0, 3.0], "higher") == [False, False, True, True]
    assert render.best_flags([1.0, None, 3.0], "lower") == [True, False, False]
    assert render.best_flags([-0.2, 0.1, 0.3], "zero") == [False, True, False]
    assert render.best_flags([1.0, 2.0], None) == [False, False]
    assert render.best_flags([67.9, None, None], "higher") == [False, False, False]  # a lone value is not "best"
    assert render.fmt(float("nan"), "top1") == "–" and render.fmt(71.234, "top1") == "71.23"
    assert render.fmt(0.01234, "sri_distance_lag") == "0.0123" and render.fmt(2262, "n_rows") == "2,262"
    assert render.page_slug("torchspatial-nerf") == "torchspatial-nerf"
    a, b = render.page_slug("a/b"), render.page_slug("a b")
    assert a != b and "/" not in a and a.startswith("a-b-")
    assert render.page_slug("../x").startswith("x-")
    blocks = render.markdown_blocks("# v2\n\n- one\n- two\ntext")
    assert blocks == [("h", "v2"), ("ul", ["one", "two"]), ("p", "text")]


def test_staged_folder_renders_under_its_final_name(tmp_path: Path) -> None:
    """build.py renders inside `.vNNNN.<random>.partial` before the rename: links must use vNNNN."""
    vdir = make_version(tmp_path, version="v0003")
    staged = vdir.with_name(".v0003.abc123.partial")
    vdir.rename(staged)
    pages = render.render_version(staged, versions=["v0001", "v0002", "v0003"], root=tmp_path / "none", maps="none")
    assert len(pages) == 1 + 6 + 18
    text, p = parse(staged / "index.html")
    options = [(a["value"], "selected" in a) for t, a in p.tags if t == "option"]
    assert options == [("index.html", True), ("../v0002/index.html", False), ("../v0001/index.html", False)]
    assert ".partial" not in text
    with pytest.raises(InputError, match="maps must be one of"):
        render.render_version(staged, versions=[], root=tmp_path, maps="some")


def test_country_maps_come_from_the_results_regions(site: dict) -> None:
    text, _ = parse(site["vdir"] / "dataset-birdsnap.html")
    by = worldsvg.read_map(text)  # what the page's map script draws: fill and tooltip per country
    assert by["MEX"] == (mapscale.FEW_FILL, by["MEX"][1]) and "Mexico: n = 20, too few samples for a value" in by["MEX"][1]
    assert by["CAN"][1].startswith("Canada: median of 17 model(s)") and "95% interval" in by["CAN"][1]
    assert by["CAN"][0] != "#b2182b" and by["USA"][0] != "#2166ac"  # absolute classes: no relative red vs blue
    assert '<path id="c-' not in text  # outlines live once, in the shared map script
    script = next((site["vdir"] / "assets").glob("worldmap-*.js")).read_text()
    assert all(f'"{c}":["' in script for c in ("MEX", "CAN", "USA")) and "worldmap-" in text
    model, _ = parse(site["vdir"] / render.model_href("torchspatial-nerf"))
    assert "Difference from the no-prior baseline" in model
    assert any(re.search(r"^[^:]+: [-+][0-9.]+ vs .+, n = [0-9,]+", t) for _, t in worldsvg.read_map(model).values())
    baseline, _ = parse(site["vdir"] / render.model_href("torchspatial-no-prior"))
    assert "Difference from the no-prior baseline" not in baseline
    overview, _ = parse(site["vdir"] / "index.html")
    assert '<path id="c-' not in overview
