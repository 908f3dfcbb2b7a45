"""Regenerate ``jalali_nowruz.json``: Nowruz (1 Farvardin) from the March equinox itself.

Run from the repository root (takes a second)::

    python tests/reference/make_jalali_nowruz.py

The Solar Hijri year starts on the day of the March equinox when the equinox falls before
noon at the Iran Standard Time meridian (52.5 degrees east, UTC+3:30), else on the day
after (Heydari-Malayeri 2004, section 3; Borkowski 1996, section 1). This script
computes the equinox for every Gregorian year 1800-2200 (1179-1579 AP) with no calendar
arithmetic at all:

* the instant of the March equinox in Terrestrial Time, Meeus, *Astronomical
  Algorithms*, 2nd ed. (1998), chapter 27: mean equinox (Table 27.B, years 1000-3000)
  corrected by the 24 periodic terms of Table 27.C (error below a minute in this range);
* Delta T = TT - UT from the long-term parabola of Morrison & Stephenson (2004),
  -20 + 32 u^2 seconds with u = (year - 1820) / 100 (within about a minute of the
  observed values 1800-2020; the future values are extrapolations);
* the wall-clock time of the equinox at UTC+3:30 and the noon rule.

A year whose equinox lies within ``BAND_MINUTES`` of noon is *too close to call* with
this precision (Delta T, the equation of time between mean and true noon, the meridian
of Tehran itself): it is listed separately and not used as a reference. Every other
year's Nowruz is exact to the day whatever those small effects are.

This is independent of crmkit, whose calendar is Borkowski's (1996) arithmetic of
33-year cycles and break years: the test checks the arithmetic against the sky.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

OUT = Path(__file__).with_name("jalali_nowruz.json")
BAND_MINUTES = 30.0
YEARS = range(1800, 2201)

# Meeus (1998) Table 27.C: A (1e-5 days), B (degrees), C (degrees per Julian century).
PERIODIC = [
    (485, 324.96, 1934.136),
    (203, 337.23, 32964.467),
    (199, 342.08, 20.186),
    (182, 27.85, 445267.112),
    (156, 73.14, 45036.886),
    (136, 171.52, 22518.443),
    (77, 222.54, 65928.934),
    (74, 296.72, 3034.906),
    (70, 243.58, 9037.513),
    (58, 119.81, 33718.147),
    (52, 297.17, 150.678),
    (50, 21.02, 2281.226),
    (45, 247.54, 29929.562),
    (44, 325.15, 31555.956),
    (29, 60.93, 4443.417),
    (18, 155.12, 67555.328),
    (17, 288.79, 4562.452),
    (16, 198.04, 62894.029),
    (14, 199.76, 31436.921),
    (12, 95.39, 14577.848),
    (12, 287.11, 31931.756),
    (12, 320.81, 34777.259),
    (9, 227.73, 1222.114),
    (8, 15.45, 16859.074),
]
UNIX_EPOCH_JD = 2440587.5  # Julian Date of 1970-01-01 00:00 UT


def march_equinox_jde(year: int) -> float:
    """Julian Ephemeris Day of the March equinox (Meeus 1998, ch. 27)."""
    y = (year - 2000) / 1000
    jde0 = 2451623.80984 + 365242.37404 * y + 0.05169 * y**2 - 0.00411 * y**3 - 0.00057 * y**4
    t = (jde0 - 2451545.0) / 36525
    w = math.radians(35999.373 * t - 2.47)
    dlambda = 1 + 0.0334 * math.cos(w) + 0.0007 * math.cos(2 * w)
    s = sum(a * math.cos(math.radians(b + c * t)) for a, b, c in PERIODIC)
    return jde0 + 0.00001 * s / dlambda


def delta_t_seconds(year: int) -> float:
    """TT - UT, long-term parabola (Morrison & Stephenson 2004)."""
    u = (year - 1820) / 100
    return -20 + 32 * u * u


def iso(day_code: int) -> str:
    """ISO date of a day count since 1970-01-01 (proleptic Gregorian)."""
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=day_code)).isoformat()


def main() -> None:
    rows = []
    close = []
    for gy in YEARS:
        jd_ut = march_equinox_jde(gy) - delta_t_seconds(gy) / 86400
        local = jd_ut - UNIX_EPOCH_JD + 3.5 / 24  # days since 1970-01-01 00:00 at UTC+3:30
        day = math.floor(local)
        minutes = (local - day) * 1440
        nowruz = day if minutes < 720 else day + 1
        entry = {
            "year": gy - 621,
            "equinox_irst": f"{iso(day)} {int(minutes // 60):02d}:{int(minutes % 60):02d}",
            "nowruz": iso(nowruz),
        }
        (close if abs(minutes - 720) < BAND_MINUTES else rows).append(entry)
    doc = {
        "source": (
            "March equinox from Meeus, Astronomical Algorithms, 2nd ed. (1998), ch. 27 "
            "(Tables 27.B and 27.C); Delta T from Morrison & Stephenson (2004); Nowruz is "
            "the day of the equinox at UTC+3:30 (52.5 E) if before 12:00, else the next "
            "day (Heydari-Malayeri 2004, arXiv:astro-ph/0409620; Borkowski 1996, Earth Moon "
            "Planets 74, 223)."
        ),
        "script": "tests/reference/make_jalali_nowruz.py",
        "tolerance": "exact date",
        "band_minutes": BAND_MINUTES,
        "note": (
            "years whose equinox is within band_minutes of noon are listed in "
            "too_close_to_call and not asserted"
        ),
        "nowruz": rows,
        "too_close_to_call": close,
    }
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(rows)} years written, {len(close)} too close to call -> {OUT}")


if __name__ == "__main__":
    main()
