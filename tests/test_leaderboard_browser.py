"""Headless Chromium drives the rendered leaderboard from file://: sort, filter, no network, not blank."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from locbench.leaderboard import render
from test_leaderboard_html_fixture import HOSTILE, make_version

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOT_DIR = Path(__file__).resolve().parents[1] / "build" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
                       reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("lbb")
    vdir = make_version(root)
    render.render_version(vdir, versions=["v0002"], root=root)
    with open(vdir / "scores.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {"root": root, "vdir": vdir, "latest": render.render_latest(root / "leaderboard"), "csv": rows}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright-python is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=ARGS)
        yield b
        b.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    events: dict[str, list] = {"errors": [], "dialogs": [], "remote": []}
    page.on("pageerror", lambda e: events["errors"].append(str(e)))
    page.on("requestfailed", lambda r: events["errors"].append(f"failed to load {r.url}"))
    page.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else events["remote"].append(r.url))
    page.goto(path.resolve().as_uri())
    return page, events


def column_values(page, col: int) -> list[float | None]:
    raw = page.eval_on_selector_all(
        "#overview tbody tr:not([hidden])", f"rows => rows.map(r => r.cells[{col}].getAttribute('data-v'))")
    return [float(v) if v else None for v in raw]


def test_sort_filter_and_screenshot(site: dict, browser) -> None:
    from PIL import Image, ImageStat

    page, events = open_page(browser, site["latest"])
    ds_order = page.eval_on_selector_all("#overview thead tr.datasets th", "ths => ths.map(t => t.textContent.trim())")[1:]
    col = 3 + 2 * ds_order.index("birdsnap")  # model th + mean rank + avg, then (Top-1, mSSI) per dataset
    header = page.locator(f'#overview thead th[data-col="{col}"]')
    assert header.get_attribute("aria-sort") == "none"
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"  # higher is better: best first
    vals = column_values(page, col)
    finite = [v for v in vals if v is not None]
    assert finite == sorted(finite, reverse=True) and vals[: len(finite)] == finite  # missing cells last
    expected = sorted((float(r["primary_value"]) for r in site["csv"] if r["dataset"] == "birdsnap"), reverse=True)
    assert finite == pytest.approx(expected, rel=1e-8)  # sort keys carry nine significant digits
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    finite = [v for v in column_values(page, col) if v is not None]
    assert finite == sorted(finite)
    assert page.locator('#overview th[aria-sort="none"]').count() == page.locator("#overview th[aria-sort]").count() - 1

    # filter by model name
    page.fill("#filter", "sphere2vec")
    names = page.eval_on_selector_all("#overview tbody tr:not([hidden]) th", "ths => ths.map(t => t.textContent)")
    expected_names = {r["model_name"] for r in site["csv"] if "sphere2vec" in r["model_name"].lower()
                      or "sphere2vec" in r["model_id"].lower()}
    assert {n.strip() for n in names} == expected_names and len(names) == 6
    assert page.text_content("#filter-count") == f"Showing 6 of {len({r['model_id'] for r in site['csv']})} models"
    page.fill("#filter", "<script>")
    names = page.eval_on_selector_all("#overview tbody tr:not([hidden]) th a", "as => as.map(a => a.textContent)")
    assert names == [HOSTILE]  # shown as text, never executed
    page.fill("#filter", "")
    assert page.locator("#overview tbody tr:not([hidden])").count() == len({r["model_id"] for r in site["csv"]})

    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SHOT_DIR / "leaderboard_overview.png"
    page.screenshot(path=str(shot))
    img = Image.open(shot).convert("L")
    assert img.size == (1280, 900)
    stat = ImageStat.Stat(img)
    assert stat.stddev[0] > 20  # text, table lines and the header bar: far from a blank page
    assert len(set(img.resize((64, 45)).getdata())) > 20
    assert events == {"errors": [], "dialogs": [], "remote": []}
    page.close()


def test_model_page_maps_load_and_version_selector_navigates(site: dict, browser) -> None:
    page, events = open_page(browser, site["vdir"] / render.model_href("torchspatial-nerf"))
    widths = page.eval_on_selector_all("figure svg.map", "ss => ss.map(s => s.getBoundingClientRect().width)")
    assert widths and all(w > 400 for w in widths)  # SVG maps (shared land/coast files: a failed load is an error)
    page.screenshot(path=str(SHOT_DIR / "leaderboard_model.png"), full_page=True)
    page.close()
    page, events2 = open_page(browser, site["vdir"] / render.model_href("hostile-model"))
    assert page.title().startswith(HOSTILE)
    assert page.eval_on_selector("h1", "h => h.textContent").startswith(HOSTILE)
    page.select_option("#version-select", "index.html")
    page.wait_for_url("**/v0002/index.html")
    assert page.locator("#overview").count() == 1
    assert events["errors"] == events2["errors"] == [] and events2["dialogs"] == [] and events2["remote"] == []
    page.close()


def test_overview_at_a_narrow_width_keeps_the_model_column_and_reaches_every_group(site: dict, browser) -> None:
    page = browser.new_page(viewport={"width": 800, "height": 700})
    page.goto(site["latest"].resolve().as_uri())
    wrap = page.locator(".overview-wrap").bounding_box()
    groups = page.eval_on_selector_all("nav.jump a", "as => as.map(a => a.getAttribute('href'))")
    # task families are the policy's: the fixture's unregistered GAIR set falls back to group + task type
    assert groups == ["#fam-locbench-classification", "#fam-locbench-regression", "#fam-gair-classification", "#fam-embedded"]
    page.click('nav.jump a[href="#fam-embedded"]')
    page.wait_for_timeout(200)
    scrolled = page.eval_on_selector(".overview-wrap", "w => w.scrollLeft")
    assert scrolled > 0  # the group was out of view and the jump scrolled the table, not the page
    target = page.locator("#fam-embedded").bounding_box()
    first_model = page.locator("#overview tbody tr th").first.bounding_box()
    assert wrap["x"] - 1 <= first_model["x"] <= wrap["x"] + 2  # sticky model column stays at the left edge
    assert target["x"] >= first_model["x"] + first_model["width"] - 2  # not hidden under the model column
    assert target["x"] + 20 <= wrap["x"] + wrap["width"]
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT_DIR / "leaderboard_overview_narrow.png"))
    page.close()


def test_dataset_page_screenshot(site: dict, browser) -> None:
    page, events = open_page(browser, site["vdir"] / "dataset-birdsnap.html")
    assert page.locator("#t-ranking-table tbody tr").count() == sum(1 for r in site["csv"] if r["dataset"] == "birdsnap")
    assert "agrees" in page.text_content("#t-ranking-table") and "differs" in page.text_content("#t-ranking-table")
    assert page.locator("ol.worst li").count() >= 2
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT_DIR / "leaderboard_dataset.png"), full_page=True)
    assert events == {"errors": [], "dialogs": [], "remote": []}
    page.close()
