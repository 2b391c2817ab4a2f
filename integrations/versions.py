"""API versions of every platform: the defaults we call and the published sunset dates.

One table, shared by the clients (their default version), by ``create_app`` (a startup
warning when a configured version is within :data:`WARN_DAYS` of its sunset) and by the
test fakes (which refuse a sunset version with the platform's own error shape). Update it
when a platform publishes a new schedule; every date below carries its source.

Sources (checked 2026-11-29):

* Meta Marketing API - "Marketing API version history" (release / expiration table):
  https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions
  Calls to an expired version fail with ``(#2635) You are calling a deprecated version of
  the Ads API`` (or are auto-upgraded): https://developers.facebook.com/blog/post/2024/04/16/upcoming-change-in-marketing-api-version-deprecation
  The facebook-business SDK 26.0.x speaks ``v26.0`` (``facebook_business/apiconfig.py``).
* Google Ads API - sunset reminders on the Google Ads developer blog
  (https://developers.google.com/ads/blog/posts/2025/07/google-ads-api-v18-sunset-reminder,
  .../2025/12/google-ads-api-v19-sunset-reminder, .../2026/04/google-ads-api-v20-sunset-reminder,
  .../2026/06/google-ads-api-v21-sunset-reminder, .../2026/09/google-ads-api-v22-sunset-reminder)
  and the 2026 schedule (https://developers.google.com/ads/blog/posts/2025/09/more-frequent-releases-coming-for),
  whose v23-v26 sunsets are *projected months*: we take the first day of that month
  (warning early rather than late). "If you are new to the Google Ads API, we recommend that
  you start with v26" (https://developers.google.com/google-ads/api/docs/sunset-dates).
  A sunset version answers HTTP 400 INVALID_ARGUMENT with
  ``requestError: UNSUPPORTED_VERSION`` ("Version vNN is deprecated. Requests to this
  version will be blocked.").
* Shopify Admin API - "Each stable version is supported for a minimum of 12 months",
  released quarterly on the 1st (https://shopify.dev/docs/api/usage/versioning). An
  unsupported version is not an error: Shopify "falls forward" to the oldest supported one
  and says so in the ``X-Shopify-API-Version`` response header.
* TikTok API for Business - v1.3 current since 2022-08-15 (no end date); v1.2 available
  until 2023-08-15 (https://business-api.tiktok.com/portal/docs?id=1740029169927169).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = [
    "DEFAULT_VERSIONS",
    "SUNSETS",
    "WARN_DAYS",
    "VersionStatus",
    "is_sunset",
    "status",
    "sunset_date",
]

WARN_DAYS = 60

# platform -> the version our clients call unless configured otherwise
DEFAULT_VERSIONS: dict[str, str] = {
    "meta": "v26.0",
    "google_ads": "v26",
    "shopify": "2026-10",
    "tiktok": "v1.3",
}

_META = "https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions"
_GOOGLE_BLOG = "https://developers.google.com/ads/blog/posts/"
_GOOGLE_2026 = _GOOGLE_BLOG + "2025/09/more-frequent-releases-coming-for (projected month)"
_SHOPIFY = "https://shopify.dev/docs/api/usage/versioning (release + 12 months)"
_TIKTOK = "https://business-api.tiktok.com/portal/docs?id=1740029169927169"

# platform -> version -> (sunset date, source). Versions absent from a platform's table are
# unknown; versions present with ``None`` have no published end date yet.
SUNSETS: dict[str, dict[str, tuple[dt.date | None, str]]] = {
    "meta": {
        "v19.0": (dt.date(2025, 2, 4), _META),
        "v20.0": (dt.date(2025, 5, 6), _META),
        "v21.0": (dt.date(2025, 9, 9), _META),
        "v22.0": (dt.date(2026, 2, 19), _META),
        "v23.0": (dt.date(2026, 6, 9), _META),
        "v24.0": (dt.date(2026, 11, 10), _META),
        "v25.0": (dt.date(2027, 2, 23), _META),
        "v26.0": (None, _META),
        "v27.0": (None, _META),
    },
    "google_ads": {
        "v17": (dt.date(2025, 6, 4), _GOOGLE_BLOG + "2025/04/google-ads-api-v17-sunset-reminder"),
        "v18": (dt.date(2025, 8, 20), _GOOGLE_BLOG + "2025/07/google-ads-api-v18-sunset-reminder"),
        "v19": (dt.date(2026, 2, 11), _GOOGLE_BLOG + "2025/12/google-ads-api-v19-sunset-reminder"),
        "v20": (dt.date(2026, 6, 10), _GOOGLE_BLOG + "2026/04/google-ads-api-v20-sunset-reminder"),
        "v21": (dt.date(2026, 8, 5), _GOOGLE_BLOG + "2026/06/google-ads-api-v21-sunset-reminder"),
        "v22": (dt.date(2026, 10, 7), _GOOGLE_BLOG + "2026/09/google-ads-api-v22-sunset-reminder"),
        "v23": (dt.date(2027, 2, 1), _GOOGLE_2026),
        "v24": (dt.date(2027, 5, 1), _GOOGLE_2026),
        "v25": (dt.date(2027, 8, 1), _GOOGLE_2026),
        "v26": (dt.date(2027, 11, 1), _GOOGLE_2026),
    },
    "shopify": {
        "2025-01": (dt.date(2026, 1, 1), _SHOPIFY),
        "2025-04": (dt.date(2026, 4, 1), _SHOPIFY),
        "2025-07": (dt.date(2026, 7, 1), _SHOPIFY),
        "2025-10": (dt.date(2026, 10, 1), _SHOPIFY),
        "2026-01": (dt.date(2027, 1, 1), _SHOPIFY),
        "2026-04": (dt.date(2027, 4, 1), _SHOPIFY),
        "2026-07": (dt.date(2027, 7, 1), _SHOPIFY),
        "2026-10": (dt.date(2027, 10, 1), _SHOPIFY),
    },
    "tiktok": {
        "v1.2": (dt.date(2023, 8, 15), _TIKTOK),
        "v1.3": (None, _TIKTOK),
    },
}


@dataclass(frozen=True)
class VersionStatus:
    """Where one configured version stands on ``today``."""

    platform: str
    version: str
    sunset: dt.date | None
    source: str
    state: str  # "ok" | "sunsetting" | "sunset" | "unknown"

    @property
    def message(self) -> str:
        """A plain-words line for the startup log."""
        if self.state == "sunset":
            return (
                f"{self.platform} API {self.version} was sunset on {self.sunset}: every call "
                f"will fail. Configure a current version (source: {self.source})."
            )
        if self.state == "sunsetting":
            return (
                f"{self.platform} API {self.version} is sunset on {self.sunset}: "
                f"upgrade before then (source: {self.source})."
            )
        if self.state == "unknown":
            return f"{self.platform} API {self.version} is not in our version table."
        return f"{self.platform} API {self.version} is current."


def sunset_date(platform: str, version: str) -> dt.date | None:
    """The published sunset date of ``version`` (None when none is published or known)."""
    entry = SUNSETS.get(platform, {}).get(version)
    return entry[0] if entry else None


def is_sunset(platform: str, version: str, today: dt.date | None = None) -> bool:
    """True when ``version`` reached its published sunset date."""
    end = sunset_date(platform, version)
    return end is not None and (today or dt.date.today()) >= end


def status(
    platform: str, version: str, today: dt.date | None = None, warn_days: int = WARN_DAYS
) -> VersionStatus:
    """Classify a configured version against the sunset table."""
    today = today or dt.date.today()
    entry = SUNSETS.get(platform, {}).get(version)
    if entry is None:
        return VersionStatus(platform, version, None, "", "unknown")
    end, source = entry
    if end is None:
        state = "ok"
    elif today >= end:
        state = "sunset"
    elif (end - today).days <= warn_days:
        state = "sunsetting"
    else:
        state = "ok"
    return VersionStatus(platform, version, end, source, state)
