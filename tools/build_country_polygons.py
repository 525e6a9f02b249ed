"""Build locbench/leaderboard/data/countries_ne110m.json from Natural Earth's 1:110m admin-0 countries.

Source: the `naturalearth_lowres` shapefile bundled in the geopandas 0.14.4 wheel on PyPI (geopandas is
BSD-3-Clause; the Natural Earth data are public domain, naturalearthdata.com). geopandas >= 1.0 no longer
ships it, so this dev-time script reads it from the wheel file, which is fetched once by hand:

    pip download --no-deps geopandas==0.14.4 -d /tmp/gpd
    python tools/build_country_polygons.py /tmp/gpd/geopandas-0.14.4-py3-none-any.whl

Output: name, ISO A3, continent and the polygon as WKB (hex), coordinates rounded to 1e-4 degrees.
"""

from __future__ import annotations

import json
import sys
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "locbench" / "leaderboard" / "data" / "countries_ne110m.json"
MEMBER = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"


def main(wheel: str) -> None:
    import geopandas as gpd
    import shapely

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            zf.extract(f"{MEMBER}.{ext}", tmp)
        world = gpd.read_file(Path(tmp) / f"{MEMBER}.shp")
    world = world.sort_values(["continent", "name"]).reset_index(drop=True)
    countries = [{"name": str(r["name"]), "iso_a3": str(r["iso_a3"]), "continent": str(r["continent"]),
                  "wkb": shapely.to_wkb(shapely.set_precision(r.geometry, 1e-4), hex=True)}
                 for _, r in world.iterrows()]
    doc = {"source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (as bundled in geopandas 0.14.4, "
                     "geopandas/datasets/naturalearth_lowres)",
           "licence": "public domain (Natural Earth terms of use); geopandas packaging BSD-3-Clause",
           "built_by": "tools/build_country_polygons.py", "countries": countries}
    OUT.write_text(json.dumps(doc, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(countries)} countries, {OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
