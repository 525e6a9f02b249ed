"""Land/sea lookup on global-land-mask's 1 km GLOBE mask without holding it in memory.

`global_land_mask.globe` inflates the whole 21600 x 43200 mask (0.9 GB, ~4 s) on import. We stream
the compressed `mask.npy` once and pick out only the bytes of the requested cells, using the same
index rule as `globe.lat_to_index` / `lon_to_index`, so results equal `globe.is_land`.
"""

from __future__ import annotations

import importlib.util
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from locbench.errors import DataMissingError, InputError

MASK_FILE = "globe_combined_mask_compressed.npz"
CHUNK = 1 << 25


def mask_path() -> Path:
    """Path of the mask inside the installed package (read-only; never written)."""
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise DataMissingError("the PyPI package global-land-mask is not installed (pip install global-land-mask)")
    path = Path(list(spec.submodule_search_locations)[0]) / MASK_FILE
    if not path.is_file():
        raise DataMissingError("global-land-mask is installed without its mask file", file=path)
    return path


def _axis_index(values: np.ndarray, axis: np.ndarray) -> np.ndarray:
    v = np.array(values, dtype=np.float64, copy=True)
    v[v > axis.max()] = axis.max()
    v[v < axis.min()] = axis.min()
    return ((v - axis[0]) / (axis[1] - axis[0])).astype(np.int64)


def is_land(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean land flag per (lon, lat) degree pair; lakes count as land (as the package)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180) or not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise InputError("land/sea lookup needs finite lon in [-180, 180] and lat in [-90, 90]")
    path = mask_path()
    with zipfile.ZipFile(path) as zf:
        lat_axis = np.load(io.BytesIO(zf.read("lat.npy")))
        lon_axis = np.load(io.BytesIO(zf.read("lon.npy")))
        info = zf.getinfo("mask.npy")
    with _MaskStream(path, info) as fh:
        version = np.lib.format.read_magic(fh)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = reader(fh)
        if fortran or dtype != np.bool_ or len(shape) != 2:
            raise InputError(f"unexpected mask layout {shape} {dtype} fortran={fortran}", file=path)
        rows = _axis_index(lat, lat_axis)
        cols = _axis_index(lon, lon_axis)
        flat = rows * shape[1] + cols
        order = np.argsort(flat, kind="stable")
        sorted_flat = flat[order]
        ocean = np.empty(flat.shape[0], dtype=bool)
        start = 0
        pos = 0
        for block in fh.rest():
            end = start + len(block)
            stop = int(np.searchsorted(sorted_flat, end, side="left"))
            if stop > pos:
                buf = np.frombuffer(block, dtype=np.uint8)
                ocean[order[pos:stop]] = buf[sorted_flat[pos:stop] - start] != 0
                pos = stop
            start = end
            if pos == sorted_flat.shape[0]:
                break
        if pos < sorted_flat.shape[0]:
            raise InputError("mask.npy ended early (truncated package file)", file=path)
    return ~ocean


class _MaskStream:
    """Reads the deflated `mask.npy` member straight from the zip with raw zlib.

    Skips zipfile's CRC pass over the 0.9 GB of output (about 10 % of the time); the header
    checks above and the exact shape still catch a damaged file.
    """

    def __init__(self, path: Path, info: zipfile.ZipInfo) -> None:
        self.path, self.info = path, info
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in __exit__
        if info.compress_type != zipfile.ZIP_DEFLATED:
            raise InputError(f"mask.npy is not deflate-compressed (type {info.compress_type})", file=path)
        self._fh.seek(info.header_offset)
        head = self._fh.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise InputError("bad zip local header for mask.npy", file=path)
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        self._fh.seek(info.header_offset + 30 + name_len + extra_len)
        self._left = info.compress_size
        self._z = zlib.decompressobj(-15)
        self._pending = b""

    def __enter__(self) -> _MaskStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def _chunks(self) -> Iterator[bytes]:
        while True:
            if self._z.unconsumed_tail:
                out = self._z.decompress(self._z.unconsumed_tail, CHUNK)
            elif self._left > 0:
                data = self._fh.read(min(self._left, 1 << 20))
                self._left -= len(data)
                if not data:
                    return
                out = self._z.decompress(data, CHUNK)
            else:
                return
            if out:
                yield out

    def rest(self) -> Iterator[bytes]:
        """The remaining output in chunks of at most CHUNK bytes (after any `read`)."""
        if self._pending:
            yield self._pending
            self._pending = b""
        try:
            yield from self._chunks()
        except zlib.error as exc:
            raise InputError(f"corrupt mask data: {exc}", file=self.path) from exc

    def read(self, n: int) -> bytes:
        """Up to n bytes (fewer only at the end), like a file object."""
        buf = [self._pending]
        have = len(self._pending)
        it = self._chunks()
        while have < n:
            try:
                out = next(it)
            except StopIteration:
                break
            except zlib.error as exc:
                raise InputError(f"corrupt mask data: {exc}", file=self.path) from exc
            buf.append(out)
            have += len(out)
        data = b"".join(buf)
        self._pending = data[n:]
        return data[:n]
