"""Regenerate ``clv_cnbd_large_x.json``: (M)BG/CNBD-k predictions of heavy buyers.

The points of ``clv_cnbd_grid.json`` have at most 25 purchases; here x runs to 300 with
k up to 20, where the negative power :math:`c^{-(r + kx)}` of crmkit's roots-of-unity
formula has exponents in the thousands. The values come from the same mpmath series
over future purchase counts as the grid (``make_clv_cnbd_grid._values``), at 30 and 50
significant digits, stored only where both agree to 1e-20 relative.

Run from the repository root (under a minute)::

    python tests/reference/make_clv_cnbd_large_x.py
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
from make_clv_cnbd_grid import _agree, _values

OUT = Path(__file__).with_name("clv_cnbd_large_x.json")
_NAMES = ("k", "r", "alpha", "a", "b", "x", "tx", "T", "t")
POINTS = [
    dict(zip(_NAMES, row, strict=True))
    for row in (
        (12, 0.85, 0.12, 0.79, 2.42, 200, 90.0, 96.0, 52.0),
        (12, 0.85, 0.12, 0.79, 2.42, 100, 93.0, 96.0, 52.0),
        (20, 1.3, 0.05, 0.6, 4.0, 300, 95.5, 96.0, 26.0),
        (7, 3.0, 0.4, 2.0, 9.0, 250, 103.0, 104.0, 104.0),
    )
]
KEYS = ("p_alive", "p_alive_at_t", "conditional_expected")


def main() -> None:
    rows = []
    for p in POINTS:
        for shift in (0, 1):
            mp.mp.dps = 30
            low = _values(p, shift)
            mp.mp.dps = 50
            high = _values(p, shift)
            if not all(_agree(low[key], high[key]) for key in KEYS):
                raise RuntimeError(f"precisions disagree at {p}, shift {shift}")
            rows.append({**p, "shift": shift, **{key: float(high[key]) for key in KEYS}})
    doc = {
        "source": f"mpmath {mp.__version__} at 30 and 50 significant digits (stored only "
        "where both agree to 1e-20): P(alive), P(alive at T + t) and conditional expected "
        "purchases of (M)BG/CNBD-k by the series over future purchase counts of "
        "make_clv_cnbd_grid.py; script tests/reference/make_clv_cnbd_large_x.py",
        "tolerance": {"rtol": 1e-11},
        "points": rows,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
