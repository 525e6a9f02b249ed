"""The grid maps' palette PNGs: the pixels, palette and transparency Pillow reads back, and smaller than Pillow's."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from locbench.leaderboard.pngpack import palette_png


@pytest.mark.parametrize("n_colours", [1, 3, 4, 15, 16, 200])
@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (73, 180), (64, 33)])
def test_pillow_reads_back_the_classes(n_colours: int, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(n_colours * 1000 + shape[1])
    index = rng.integers(0, n_colours + 1, size=shape).astype(np.uint8)
    colours = [f"#{int(c):06x}" for c in rng.integers(0, 2 ** 24, size=n_colours)]
    im = Image.open(io.BytesIO(palette_png(index, colours)))
    im.load()
    assert im.mode == "P" and im.size == (shape[1], shape[0]) and im.info.get("transparency") == 0
    assert (np.asarray(im) == index).all()
    assert im.getpalette()[3:3 * (n_colours + 1)] == [int(c[i:i + 2], 16) for c in colours for i in (1, 3, 5)]


def test_smaller_than_pillow_on_a_map_like_grid_and_deterministic() -> None:
    rng = np.random.default_rng(0)
    index = np.zeros((73, 180), np.uint8)
    for _ in range(60):  # blobs of a class, like cells of one accuracy band
        r, c, k = rng.integers(0, 70), rng.integers(0, 175), rng.integers(1, 11)
        index[r:r + rng.integers(1, 4), c:c + rng.integers(1, 6)] = k
    colours = [f"#{i * 20:02x}{i * 10:02x}80" for i in range(10)]
    mine = palette_png(index, colours)
    out = io.BytesIO()
    img = Image.fromarray(index, mode="P")
    img.putpalette([0, 0, 0] + [int(c[i:i + 2], 16) for c in colours for i in (1, 3, 5)])
    img.save(out, format="PNG", optimize=True, transparency=0, bits=4)
    assert len(mine) < len(out.getvalue()) and palette_png(index, colours) == mine


def test_refuses_indices_without_a_colour() -> None:
    with pytest.raises(ValueError, match="do not fit 2 colour"):
        palette_png(np.array([[0, 3]], np.uint8), ["#000000", "#ffffff"])
