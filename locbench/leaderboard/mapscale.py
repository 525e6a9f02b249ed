"""Map colour scales that state numbers: absolute class breaks with units, intervals, bounded skill.

Why (issue 20.4): a relative legend ("worst · middle · best") painted a 2.2-point gap full red against
full blue, and per-country R² on a few samples ran to -1,247,975. Here every scale has absolute breaks
in the metric's own units, and a colour range never narrower than `min_span` (20 points of accuracy), so
a small gap stays a small change of colour. R² per region is shown as its bounded form
R²/(2 - R²) (Mathevet et al. 2006, "C2M"), which maps (-inf, 1] onto (-1, 1] and keeps the order.
A region's interval is the Wilson score interval of its share (top-1/top-3: exact binomial
proportions; MRR, a mean of values in [0, 1], has variance at most m(1 - m), so the same interval
is conservative); metrics without a closed form get none and say so.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from html import escape

Z95 = 1.959963984540054
PERCENT_KEYS = ("top1", "top3", "mrr", "macro_f1", "hit@1")
SHARE_KEYS = ("top1", "top3", "mrr")  # means of per-sample values in [0, 1]: Wilson intervals apply
# ColorBrewer sequential / diverging colour values (light to dark; red to blue).
YLGNBU = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")
YLORRD = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
RDBU = ("#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac")
FEW_FILL = "url(#few)"
NO_DATA = "#eef0f3"
NOT_SIGNIFICANT = "#e6e2d8"
FONT = 12  # legend text size in CSS pixels (maps are drawn 1:1 at 900 px wide)


@dataclass(frozen=True)
class Scale:
    """Classes [breaks[i], breaks[i+1]) coloured colours[i]; the ends are open when marked so."""

    title: str
    breaks: tuple[float, ...]
    colours: tuple[str, ...]
    digits: int
    open_low: bool = False
    open_high: bool = False

    def index(self, value: float) -> int:
        return min(max(bisect.bisect_right(self.breaks, value) - 1, 0), len(self.colours) - 1)

    def colour(self, value: float) -> str:
        return self.colours[self.index(value)]

    def class_labels(self) -> list[str]:
        b, d, out = self.breaks, self.digits, []
        for i in range(len(self.colours)):
            if i == 0 and self.open_low:
                out.append(f"< {b[1]:.{d}f}")
            elif i == len(self.colours) - 1 and self.open_high:
                out.append(f"≥ {b[i]:.{d}f}")
            else:
                sep = " to " if b[i] < 0 else "–"
                out.append(f"{b[i]:.{d}f}{sep}{b[i + 1]:.{d}f}")
        return [t.replace("-", "−") for t in out]


def pick(palette: tuple[str, ...], k: int) -> tuple[str, ...]:
    """k colours spread evenly over a palette (its ends included)."""
    if k == 1:
        return (palette[len(palette) // 2],)
    return tuple(palette[round(i * (len(palette) - 1) / (k - 1))] for i in range(k))


def nice_step(span: float, max_classes: int) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that cuts `span` into at most `max_classes` classes."""
    span = max(span, 1e-12)
    base = 10.0 ** math.floor(math.log10(span / max_classes))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if span / (m * base) <= max_classes:
            return m * base
    return 10.0 * base


def _digits(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if round(step / 10 ** math.floor(math.log10(step)), 6)
                                                            == 2.5 else 0)


def absolute(values: list[float], *, title: str, higher_is_better: bool, min_span: float,
             domain: tuple[float, float] | None = None, max_classes: int = 7) -> Scale:
    """Round absolute breaks over the data's 5th-95th percentile, at least `min_span` wide, inside `domain`."""
    vals = sorted(v for v in values if math.isfinite(v))
    lo, hi = (_quantile(vals, 0.05), _quantile(vals, 0.95)) if vals else (0.0, min_span)
    if hi - lo < min_span:
        mid = (lo + hi) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
        if domain is not None:
            shift = max(domain[0] - lo, 0.0) - max(hi - domain[1], 0.0)
            lo, hi = lo + shift, hi + shift
    step = nice_step(hi - lo, max_classes)
    lo, hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    if domain is not None:
        lo, hi = max(lo, domain[0]), min(hi, domain[1])
    k = max(1, round((hi - lo) / step))
    breaks = tuple(round(lo + i * step, 10) for i in range(k + 1))
    palette = YLGNBU if higher_is_better else YLORRD
    return Scale(title, breaks, pick(palette, k), _digits(step),
                 open_low=bool(vals) and vals[0] < breaks[0], open_high=bool(vals) and vals[-1] > breaks[-1])


def _quantile(sorted_vals: list[float], q: float) -> float:
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    pos = q * (len(sorted_vals) - 1)
    i = int(pos)
    j = min(i + 1, len(sorted_vals) - 1)
    return sorted_vals[i] + (sorted_vals[j] - sorted_vals[i]) * (pos - i)


def diverging(title: str, edges: tuple[float, ...], digits: int) -> Scale:
    """A symmetric scale of differences: open-ended at both ends, red = worse, blue = better."""
    k = len(edges) + 1
    breaks = (-math.inf, *edges, math.inf)
    return Scale(title, breaks, pick(RDBU, k), digits, open_low=True, open_high=True)


BOUNDED_R2 = Scale("Bounded R² skill, R²/(2 − R²): 1 = perfect, 0 = the region's own mean, −1 = far worse",
                   (-1.0, -0.5, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0), pick(YLGNBU, 7), 1)


def bounded_r2(r2: float) -> float:
    """C2M: R²/(2 - R²), in (-1, 1] for R² in (-inf, 1]; same order as R²."""
    return r2 / (2.0 - r2)


def is_percent(metric: str) -> bool:
    return metric in PERCENT_KEYS


def display_value(metric: str, value: float) -> float:
    """What a region's colour is read from: R² bounded, everything else as published."""
    return bounded_r2(value) if metric == "r2" else value


def region_text(metric: str, value: float | None, fmt) -> str:
    """A region's value as a page prints it: R² with its bounded form beside it (R² alone explodes on
    a region whose targets barely vary)."""
    if metric == "r2" and value is not None:
        return f"{fmt(value)} (bounded {bounded_r2(value):.2f})"
    return fmt(value)


def interval(metric: str, n: int, value: float | None) -> tuple[float, float] | None:
    """95 % Wilson interval of a share in % (top-1, top-3, MRR), in the value's units; None otherwise."""
    if metric not in SHARE_KEYS or value is None or n < 1:
        return None
    p = min(max(value / 100.0, 0.0), 1.0)
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return 100.0 * (centre - half), 100.0 * (centre + half)


def difference_interval(metric: str, a: tuple[int, float], b: tuple[int, float]) -> tuple[float, float] | None:
    """Newcombe's hybrid-Wilson 95 % interval of a - b from each share's Wilson interval (None without).

    Both models scored the same samples; treating them as independent widens the interval, so a
    difference called significant here is significant for the paired samples too."""
    ia, ib = interval(metric, a[0], a[1]), interval(metric, b[0], b[1])
    if ia is None or ib is None:
        return None
    d = a[1] - b[1]
    lo = d - math.sqrt((a[1] - ia[0]) ** 2 + (ib[1] - b[1]) ** 2)
    hi = d + math.sqrt((ia[1] - a[1]) ** 2 + (b[1] - ib[0]) ** 2)
    return lo, hi


def legend_svg(scale: Scale, x: float, y: float, extra: tuple[tuple[str, str], ...] = ()) -> tuple[str, float]:
    """Legend rows (title, then swatches with their absolute ranges, then `extra` (fill, text)); (markup, height).

    Text size, colour and the swatches' outline are set once on enclosing groups (inherited), not per element."""
    title = (f'<text x="{x:g}" y="{y + FONT:g}" font-weight="600" fill="#1d2330">{escape(scale.title)}</text>')
    swatches, labels = [], []
    cx, cy = x, y + FONT + 8
    items = [(c, t) for c, t in zip(scale.colours, scale.class_labels())] + list(extra)
    for fill, text in items:
        w = 22 + 7.0 * len(text)
        if cx + w > x + 880:
            cx, cy = x, cy + FONT + 8
        swatches.append(f'<rect x="{cx:g}" y="{cy:g}" width="16" height="{FONT:g}" fill="{fill}"/>')
        labels.append(f'<text x="{cx + 20:g}" y="{cy + FONT - 1:g}">{escape(text)}</text>')
        cx += w + 10
    markup = (f'<g font-size="{FONT}" fill="#333b4a">{title}<g stroke="#9aa3b2" stroke-width="0.5">'
              f'{"".join(swatches)}</g>{"".join(labels)}</g>')
    return markup, cy + FONT + 6 - y


_LEGEND = re.compile(r'<g font-size="%d" fill="#333b4a">.*?</g>.*?</g>' % FONT, re.S)


def share_legends(page: str) -> str:
    """Draw each distinct legend of a page once; later identical ones `<use>` it (same document: works offline).

    Why: a model page's 30 maps repeat a few legends (the top-1 classes, the difference classes), ~0.8 MB in v0003."""
    seen: dict[str, str] = {}

    def one(m: re.Match) -> str:
        text = m.group(0)
        if text in seen:
            return f'<use href="#{seen[text]}"/>'
        seen[text] = f"lg{len(seen)}"
        return f'<g id="{seen[text]}"' + text[2:]
    return _LEGEND.sub(one, page)
