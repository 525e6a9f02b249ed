"""Files every page of a version shares, written once into `vNNNN/assets/` under content-hashed names.

Why (issue 24): v0003 inlined its 12 KB of CSS and JavaScript into every page (0.73 MB in all) and repeated
the country outlines its maps colour as `<defs>` on every page (1.8 MB). Pages now link them: a stylesheet,
the table script and the country-map script (outlines, names and the few lines that draw a map from the
page's compact per-map data). A `<link>`, `<script src>` or `<image href>` of a local file works from
`file://` (an external SVG `<use>` does not, in Chromium). The names carry a hash of the bytes, so a page
never pairs with another renderer's asset, and identical files in two versions cost git nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).parent
DIR = "assets"


def _worldmap_js() -> str:
    """The country outlines and names as one JSON object, then the drawing code (static/worldmap.js)."""
    from locbench.leaderboard import worldsvg

    paths, names = worldsvg.country_paths(), worldsvg.country_names()
    data = json.dumps({k: [names[k], paths[k]] for k in sorted(paths)}, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True)
    return f"window.LOCBENCH_COUNTRIES={data};\n" + (HERE / "static" / "worldmap.js").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _texts() -> dict[str, tuple[str, str]]:
    """kind -> (file name with its content hash, text)."""
    static = HERE / "static"
    raw = {"style.css": (static / "style.css").read_text(encoding="utf-8"),
           "table.js": (static / "table.js").read_text(encoding="utf-8"), "worldmap.js": _worldmap_js()}
    out = {}
    for name, text in raw.items():
        stem, ext = name.rsplit(".", 1)
        out[stem] = (f"{stem}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}.{ext}", text)
    return out


def refs(prefix: str = "") -> dict[str, str]:
    """kind (style, table, worldmap) -> href of its file, relative to a page (`prefix` = the version folder's)."""
    return {kind: f"{prefix}{DIR}/{name}" for kind, (name, _) in _texts().items()}


def write(version_dir: Path) -> list[Path]:
    """Write the shared page files into `version_dir/assets/`."""
    from locbench import atomic

    return [atomic.write_text(Path(version_dir) / DIR / name, text) for name, text in _texts().values()]
