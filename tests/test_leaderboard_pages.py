"""Issue 24 acceptance: versions built from fixture results stay within the size limits, and a superseded
version's pages, removed from the working tree once committed, come back byte for byte."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from locbench.errors import DataMissingError
from locbench.leaderboard import leanrecord, pagerecord, prune
from locbench.leaderboard.build import build_version
from test_leaderboard_build import SPECIES, add_result
from test_leaderboard_storage import _git, fixture_results

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="needs git")

# The limits for today's 280 results: a version adds < 6 MB, scores.json < 1.5 MB, a page < 500 KB, the
# overview < 250 KB. Scaled per result for the fixture; the shared assets (~120 KB) are paid once per version.
PER_RESULT = 6_000_000 / 280
ASSETS = 150_000


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    r = fixture_results(tmp_path)
    _git(r, "init", "-q")
    _git(r, "add", "-A")
    _git(r, "commit", "-qm", "results")
    return r


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [u for u in re.findall(r'(?:href|src|value)="([^"#:]+)(?:#[^"]*)?"', text) if not u.startswith("data")]


def test_a_version_stays_within_the_size_limits(root: Path) -> None:
    v = build_version(root).path
    n = len(json.loads((v / "scores.json").read_text())["rows"])
    pages = sorted(v.glob("*.html"))
    assert _size(v) < n * PER_RESULT + ASSETS, (_size(v), n)
    assert max(p.stat().st_size for p in pages) < 500_000 and (v / "index.html").stat().st_size < 250_000
    assert (v / "scores.json").stat().st_size < n * 1_500_000 / 280
    for p in pages:  # shared assets, not repeated: no inline stylesheet or script, no country outlines
        text = p.read_text(encoding="utf-8")
        assert "<style" not in text and '<path id="c-' not in text and not re.search(r"<script>\s*\S", text), p.name
        assert re.search(r'<link rel="stylesheet" href="assets/style-[0-9a-f]{12}\.css">', text), p.name
    assert {a.name.split("-")[0] for a in (v / "assets").iterdir()} == {"style", "table", "worldmap", "land", "coast"}
    record = json.loads((v / pagerecord.FILE).read_text())
    assert all(record["git_blobs"][k] == pagerecord.git_blob_id((v / k).read_bytes()) for k in record["pages"])


def test_superseded_pages_leave_once_committed_and_render_back(root: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    v1 = build_version(root).path
    published = {k: (v1 / k).read_bytes() for k in prune.recorded_pages(v1)}
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "v0001")
    add_result(root, "model-a", SPECIES[0], 0.9, seed=99)  # re-scored: the tree no longer holds v0001's input
    _git(root, "commit", "-qam", "rescore")
    v2 = build_version(root).path
    lb = root / "leaderboard"
    assert not list(v1.glob("*.html")) and not (v1 / "assets").exists()  # pages gone, the record stays
    assert all((v1 / f).is_file() for f in ("scores.csv", "scores.json", "manifest.json", "CHANGES.md", "pages.json"))
    for page in [*v2.glob("*.html"), lb / "index.html"]:  # no page links a page that is not there
        assert all((page.parent / u).exists() for u in _links(page)), page.name
        assert "v0001/CHANGES.md" in page.read_text() and "v0001/index.html" not in page.read_text()
    assert "git history" in (v2 / "CHANGES.md").read_text()
    m1, m2 = (json.loads((v / "manifest.json").read_text()) for v in (v1, v2))  # v0002 follows a page record
    assert "geobias_params" in m1 and "geobias_params" not in m2 and "\n " not in (v2 / "manifest.json").read_text()
    lean = json.loads((v2 / "scores.json").read_text())
    assert lean["schema"] == leanrecord.SCHEMA and "geobias_params" not in lean  # v0002 follows a page record
    assert json.loads((v1 / "scores.json").read_text()).get("schema") is None  # v0001: the v0003 layout
    params = leanrecord.expand(lean, v2 / "scores.json")["geobias_params"]
    assert m2["geobias_params_sha256"] == hashlib.sha256(json.dumps(
        params, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n").hexdigest()
    assert json.loads((v2 / "verdicts.json").read_text()) and "\n " not in (v2 / "verdicts.json").read_text()

    same = pagerecord.render_again(lb, "v0001", tmp_path / "same", root)  # today's renderer drew them: re-render
    assert same.how == "re-rendered" and same.differing == []
    monkeypatch.setattr(pagerecord, "renderer_digest", lambda: "templates changed since")
    back = pagerecord.render_again(lb, "v0001", tmp_path / "back", root)
    assert back.how == "restored" and back.differing == [] and back.pages == len(published)
    assert {k: (back.path / k).read_bytes() for k in published} == published

    shutil.rmtree(root / ".git")  # a copy without history: said plainly, nothing half-written
    with pytest.raises(DataMissingError, match="unshallow"):
        pagerecord.render_again(lb, "v0001", tmp_path / "gone", root)
    assert not (tmp_path / "gone" / "v0001").exists()


def test_uncommitted_pages_stay(root: Path) -> None:
    v1 = build_version(root).path
    add_result(root, "model-b", SPECIES[1], 0.8, seed=98)
    v2 = build_version(root).path
    assert (v1 / "index.html").is_file() and "../v0001/index.html" in (v2 / "index.html").read_text()
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "both")
    (v2 / "index.html").chmod(0o644)
    assert prune.committed(root, v1) and prune.committed(root, v2)
    (v2 / "index.html").write_text("edited")  # a page differing from HEAD is not pruned
    assert not prune.committed(root, v2)
    v1.chmod(0o755)
    (v1 / "index.html").unlink()  # a removal cut short: the rest still goes, the missing page is in git history
    assert prune.committed(root, v1)
    assert prune.remove_pages(v1) and not list(v1.glob("*.html")) and not prune.committed(root, v1)
