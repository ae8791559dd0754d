"""Where the sun and the moon are: the astronomy under the sun's, the moon's, the seasons' and the Chinese New
Year's answers (sun, moon, days, lunar_new_year), apart from the questions that read it.

The sun: the Astronomical Almanac's low-precision formulas (0.01 degrees within a century of 2000: its times within
about 15 minutes). The moon's principal phases: Meeus, Astronomical Algorithms (2nd ed.), chapter 49, with the main
periodic terms (within a few minutes of the published times; the planetary terms, under a minute, are left out).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

# ------------------------------------------------------------------------------------------------- the sun

_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)
_DEGREES_A_DAY = 0.9856474  # the sun's mean motion along the ecliptic


def sun_position(moment: datetime) -> tuple[float, float]:
    """The sun's declination (radians) and the equation of time (minutes) at `moment`, by the Astronomical
    Almanac's low-precision formulas (0.01 degrees within a century of 2000)."""
    d = (moment - _J2000).total_seconds() / 86400
    mean_longitude = (280.460 + 0.9856474 * d) % 360
    anomaly = math.radians((357.528 + 0.9856003 * d) % 360)
    ecliptic = math.radians(mean_longitude + 1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly))
    obliquity = math.radians(23.439 - 0.0000004 * d)
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic))
    right_ascension = math.degrees(math.atan2(math.cos(obliquity) * math.sin(ecliptic), math.cos(ecliptic)))
    return declination, 4 * ((mean_longitude - right_ascension + 180) % 360 - 180)


def ecliptic_longitude(moment: datetime) -> float:
    """The sun's ecliptic longitude in degrees at `moment` (the same low-precision formulas as sun_position)."""
    d = (moment - _J2000).total_seconds() / 86400
    anomaly = math.radians((357.528 + 0.9856003 * d) % 360)
    return (280.460 + 0.9856474 * d + 1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly)) % 360


def season_start(year: int, longitude: int) -> datetime:
    """When the sun reaches ecliptic `longitude` (0: the March equinox, 90: the June solstice, 180: the September
    equinox, 270: the December solstice) in `year`, in UTC: within about 15 minutes (the formulas' 0.01 degrees)."""
    return _walk_to(longitude, datetime(year, 3 + longitude // 30, 21, 12, tzinfo=UTC))  # the 21st of the month


def sun_reaches(longitude: float, after: datetime) -> datetime:
    """The first moment after `after` (aware) when the sun reaches ecliptic `longitude` (degrees: any, such as the
    Chinese calendar's solar terms, multiples of 15), in UTC: within about 15 minutes, as season_start."""
    guess = after + timedelta(days=(longitude - ecliptic_longitude(after)) % 360 / _DEGREES_A_DAY)
    return _walk_to(longitude, guess).astimezone(UTC)


def _walk_to(longitude: float, moment: datetime) -> datetime:
    """The moment near `moment` (some days off at most) when the sun is at ecliptic `longitude`: Newton's steps."""
    for _ in range(4):
        behind = (longitude - ecliptic_longitude(moment) + 180) % 360 - 180
        moment += timedelta(days=behind / _DEGREES_A_DAY)
    return moment


# ------------------------------------------------------------------------------------------------ the moon

_SYNODIC_DAYS = 29.530588861
_DELTA_T = timedelta(seconds=69)  # Terrestrial Time less UTC in the 2020s: the algorithm's times are in TT
_JD_UNIX = 2440587.5  # the Julian day of 1970-01-01 00:00 UTC

# Meeus table 49.A: (coefficient, E's power, multiples of M, M', F, omega) of each periodic term, in days.
_NEW = ((-0.40720, 0, 0, 1, 0, 0), (0.17241, 1, 1, 0, 0, 0), (0.01608, 0, 0, 2, 0, 0), (0.01039, 0, 0, 0, 2, 0),
        (0.00739, 1, -1, 1, 0, 0), (-0.00514, 1, 1, 1, 0, 0), (0.00208, 2, 2, 0, 0, 0), (-0.00111, 0, 0, 1, -2, 0),
        (-0.00057, 0, 0, 1, 2, 0), (0.00056, 1, 1, 2, 0, 0), (-0.00042, 0, 0, 3, 0, 0), (0.00042, 1, 1, 0, 2, 0),
        (0.00038, 1, 1, 0, -2, 0), (-0.00024, 1, -1, 2, 0, 0), (-0.00017, 0, 0, 0, 0, 1), (-0.00007, 0, 2, 1, 0, 0),
        (0.00004, 0, 0, 2, -2, 0), (0.00004, 0, 3, 0, 0, 0), (0.00003, 0, 1, 1, -2, 0), (0.00003, 0, 0, 2, 2, 0),
        (-0.00003, 0, 1, 1, 2, 0), (0.00003, 0, -1, 1, 2, 0), (-0.00002, 0, -1, 1, -2, 0), (-0.00002, 0, 1, 3, 0, 0),
        (0.00002, 0, 0, 4, 0, 0))
_FULL = ((-0.40614, 0, 0, 1, 0, 0), (0.17302, 1, 1, 0, 0, 0), (0.01614, 0, 0, 2, 0, 0), (0.01043, 0, 0, 0, 2, 0),
         (0.00734, 1, -1, 1, 0, 0), (-0.00515, 1, 1, 1, 0, 0), (0.00209, 2, 2, 0, 0, 0), (-0.00111, 0, 0, 1, -2, 0),
         (-0.00057, 0, 0, 1, 2, 0), (0.00056, 1, 1, 2, 0, 0), (-0.00042, 0, 0, 3, 0, 0), (0.00042, 1, 1, 0, 2, 0),
         (0.00038, 1, 1, 0, -2, 0), (-0.00024, 1, -1, 2, 0, 0), (-0.00017, 0, 0, 0, 0, 1), (-0.00007, 0, 2, 1, 0, 0),
         (0.00004, 0, 0, 2, -2, 0), (0.00004, 0, 3, 0, 0, 0), (0.00003, 0, 1, 1, -2, 0), (0.00003, 0, 0, 2, 2, 0),
         (-0.00003, 0, 1, 1, 2, 0), (0.00003, 0, -1, 1, 2, 0), (-0.00002, 0, -1, 1, -2, 0), (-0.00002, 0, 1, 3, 0, 0),
         (0.00002, 0, 0, 4, 0, 0))
_QUARTER = ((-0.62801, 0, 0, 1, 0, 0), (0.17172, 1, 1, 0, 0, 0), (-0.01183, 1, 1, 1, 0, 0), (0.00862, 0, 0, 2, 0, 0),
            (0.00804, 0, 0, 0, 2, 0), (0.00454, 1, -1, 1, 0, 0), (0.00204, 2, 2, 0, 0, 0), (-0.00180, 0, 0, 1, -2, 0),
            (-0.00070, 0, 0, 1, 2, 0), (-0.00040, 0, 0, 3, 0, 0), (-0.00034, 1, -1, 2, 0, 0), (0.00032, 1, 1, 0, 2, 0),
            (0.00032, 1, 1, 0, -2, 0), (-0.00028, 2, 2, 1, 0, 0), (0.00027, 1, 1, 2, 0, 0), (-0.00017, 0, 0, 0, 0, 1),
            (-0.00005, 0, -1, 1, -2, 0), (0.00004, 0, 0, 2, 2, 0), (-0.00004, 0, 1, 1, 2, 0), (0.00004, 0, -2, 1, 0, 0),
            (0.00003, 0, 1, 1, 0, 0), (0.00003, 0, 3, 0, 0, 0), (0.00002, 0, 0, 2, -2, 0), (0.00002, 0, 1, 0, 2, 0),
            (-0.00002, 0, 0, 3, 1, 0))


def phase_time(lunation: int, phase: int) -> datetime:
    """When principal phase `phase` (0: new moon, 1: first quarter, 2: full moon, 3: last quarter) of lunation
    `lunation` (0: the new moon of 2000-01-06) comes, in UTC."""
    k = lunation + phase / 4
    t = k / 1236.85
    jde = 2451550.09766 + _SYNODIC_DAYS * k + 0.00015437 * t**2 - 0.000000150 * t**3 + 0.00000000073 * t**4
    e = 1 - 0.002516 * t - 0.0000074 * t**2
    sun_anomaly = math.radians(2.5534 + 29.10535670 * k - 0.0000014 * t**2 - 0.00000011 * t**3)
    moon_anomaly = math.radians(201.5643 + 385.81693528 * k + 0.0107582 * t**2 + 0.00001238 * t**3
                                - 0.000000058 * t**4)
    latitude = math.radians(160.7108 + 390.67050284 * k - 0.0016118 * t**2 - 0.00000227 * t**3 + 0.000000011 * t**4)
    node = math.radians(124.7746 - 1.56375588 * k + 0.0020672 * t**2 + 0.00000215 * t**3)
    terms = (_NEW, _QUARTER, _FULL, _QUARTER)[phase]
    jde += sum(c * e**power * math.sin(m * sun_anomaly + mm * moon_anomaly + f * latitude + o * node)
               for c, power, m, mm, f, o in terms)
    if phase in (1, 3):
        w = (0.00306 - 0.00038 * e * math.cos(sun_anomaly) + 0.00026 * math.cos(moon_anomaly)
             - 0.00002 * math.cos(moon_anomaly - sun_anomaly) + 0.00002 * math.cos(moon_anomaly + sun_anomaly)
             + 0.00002 * math.cos(2 * latitude))
        jde += w if phase == 1 else -w
    return datetime.fromtimestamp((jde - _JD_UNIX) * 86400, UTC) - _DELTA_T


def phases_around(moment: datetime) -> list[tuple[datetime, int]]:
    """The principal phases (time in UTC, phase as phase_time's) from about a lunation before `moment` (aware) to two
    after, in order."""
    near = math.floor((moment - datetime(2000, 1, 6, 18, 14, tzinfo=UTC)).total_seconds() / 86400 / _SYNODIC_DAYS)
    return [(phase_time(lunation, phase), phase) for lunation in range(near - 1, near + 3) for phase in range(4)]
