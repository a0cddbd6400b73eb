"""What the usage generator draws from: devices, pages, konnectors, the ids of
Ecolyo's challenges, and the shape of a household's monthly consumption.

Names follow the Ecolyo page (page names, lowercase timesteps and fluids) and
Ecolyo's own catalogues (konnector slugs, CHALLENGE0001-style ids).
"""

from __future__ import annotations

# Browsers a ConnectionEvent's context may name. Tablets are counted as
# mobiles by the rules; an Android tablet has no "Mobile" in its user agent.
USER_AGENTS: dict[str, tuple[str, ...]] = {
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 15_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/15.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 11; SM-G991B) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/96.0.4664.45 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/96.0.4664.92 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 14_8 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 15_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/15.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 11; SM-T870) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/96.0.4664.45 Safari/537.36",
    ),
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/96.0.4664.93 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/15.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:94.0) Gecko/20100101 Firefox/94.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:95.0) Gecko/20100101 Firefox/95.0",
    ),
}
DEVICES = tuple(USER_AGENTS)

# Ecolyo's fluids, their konnector and the NavigationEvent page of each.
KONNECTORS = {"electricity": "enedisgrandlyon", "water": "eglgrandlyon", "gas": "grdfgrandlyon"}
FLUID_PAGES = {"electricity": "electricity", "water": "eau", "gas": "gas"}
# Chance that one connection try succeeds (OAuth konnectors fail more often).
CONNECT_SUCCESS = {"electricity": 0.65, "water": 0.8, "gas": 0.6}

# Timesteps of the consumption graphs, lowercase as Ecolyo writes them.
TIMESTEPS = ("half_an_hour", "day", "week", "month", "year")
MULTIFLUID = "multifluid"

# Pages reached from the navigation bar or a card (besides the fluid pages).
NAV_PAGES = ("consumption", "challenges", "ecogestures", "analysis", "options", "faq", "legalNotice")
NAV_WEIGHTS = (30, 22, 12, 10, 6, 3, 1)

# Ecolyo's challenge catalogue: eight challenges, each with a quiz, an
# exploration and a duel of the same number.
CHALLENGE_COUNT = 8
ECOGESTURE_COUNT = 70


def challenge_id(n: int) -> str:
    return f"CHALLENGE{n:04d}"


def quiz_id(n: int) -> str:
    return f"QUIZ{n:03d}"


def exploration_id(n: int) -> str:
    return f"EXPLORATION{n:03d}"


def duel_id(n: int) -> str:
    return f"DUEL{n:03d}"


def ecogesture_id(n: int) -> str:
    return f"ECOGESTURE{n:04d}"


# Quiz stars, weighted towards good scores.
QUIZ_STARS = ("0", "1", "2", "3", "4", "5")
QUIZ_WEIGHTS = (1, 2, 4, 7, 8, 6)

# Monthly consumption: (base for a typical household, winter swing, unit).
CONSUMPTION = {
    "electricity": (280.0, 0.35),  # kWh
    "water": (9.0, 0.08),  # m3
    "gas": (620.0, 0.85),  # kWh
}

# Uses a profile may give each fluid (rulebook: heating, hot_water, cooking).
FLUID_USE_CHOICES = {
    "electricity": ("heating", "hot_water", "cooking"),
    "gas": ("heating", "hot_water", "cooking"),
    "water": ("hot_water",),
}

APP_VERSION = "1.7.2"
