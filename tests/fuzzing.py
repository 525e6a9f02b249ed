"""Hypothesis strategies shared by the fuzz tests: random corruptions of a valid table file.

A corruption works on the file's text or bytes: truncation, byte flips, a cell replaced by a
hostile value (huge, tiny, NaN, inf, empty, text, control characters, very long), duplicated and
dropped rows, another text encoding, another separator, gzip (whole or cut short).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from hypothesis import strategies as st

HOSTILE_VALUES = ["1e308", "-1e308", "1e51", "1e-320", "5e-324", "nan", "NaN", "inf", "-inf", "Infinity", "",
                  "abc", "1,5", "0x10", "1e", "--1", "\x00", "\u202e", "é", "🙂", "'; DROP TABLE x; --",
                  "\"quoted, with comma\"", "x" * 5000, "9" * 400, "-0", "1" + "0" * 30, "True", "None", "NA"]


@dataclass(frozen=True)
class Corruption:
    """One edit of a file: `kind` plus the numbers that place it (all drawn by hypothesis)."""

    kind: str
    at: float  # position in [0, 1): which byte, row or column
    other: float  # a second position (column, byte value)
    value: str

    def apply(self, text: str) -> bytes:
        lines = text.split("\n")
        body = [i for i in range(1, len(lines)) if lines[i]]
        row = body[int(self.at * len(body))] if body else 0
        raw = text.encode("utf-8")
        if self.kind == "truncate":
            return raw[: int(self.at * len(raw))]
        if self.kind == "flip":
            i = int(self.at * len(raw))
            return raw[:i] + bytes([int(self.other * 256)]) + raw[i + 1:] if raw else raw
        if self.kind == "cell":
            cells = lines[row].split(",")
            cells[int(self.other * len(cells))] = self.value
            lines[row] = ",".join(cells)
        elif self.kind == "header":
            cells = lines[0].split(",")
            cells[int(self.other * len(cells))] = self.value or "lon"
            lines[0] = ",".join(cells)
        elif self.kind == "duplicate":
            lines.insert(row, lines[row])
        elif self.kind == "drop":
            del lines[row]
        elif self.kind == "encoding":
            return "\n".join(lines).encode(["utf-16", "latin-1", "utf-8-sig", "cp1252"][int(self.other * 4)],
                                           errors="replace")
        elif self.kind == "separator":
            return "\n".join(lines).replace(",", [";", "\t", "|"][int(self.other * 3)]).encode("utf-8")
        elif self.kind == "gzip":
            data = gzip.compress(raw, mtime=0)
            return data if self.other < 0.5 else data[: int(self.at * len(data))]
        return "\n".join(lines).encode("utf-8", errors="surrogatepass")


KINDS = ["truncate", "flip", "cell", "cell", "cell", "header", "duplicate", "drop", "encoding", "separator", "gzip"]

corruptions = st.builds(Corruption, kind=st.sampled_from(KINDS), at=st.floats(0, 0.999),
                        other=st.floats(0, 0.999), value=st.sampled_from(HOSTILE_VALUES))
