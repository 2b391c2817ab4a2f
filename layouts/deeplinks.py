"""Deep links into each platform's ads manager: open the exact ad, campaign or account.

We never change anything on a platform ourselves (read-only scopes): an action's button opens the
thing to change, the person changes it there and marks the action Done here. The URL formats are
the ads managers' own page addresses and query parameters (the addresses their "share link" and
browser bar show), not a versioned API contract; when one stops working it still lands on the
account's list, where the id in the link text finds the row:

- Meta, an ad: ``https://adsmanager.facebook.com/adsmanager/manage/ads``
  ``?act={ad account id}&selected_ad_ids={ad id}``; a campaign: ``…/manage/campaigns``
  ``?act={ad account id}&selected_campaign_ids={campaign id}``.
- Google Ads, an ad or a campaign: ``https://ads.google.com/aw/ads``
  ``?__e={customer id}&campaignId={campaign id}`` (``/aw/campaigns`` for the account).
- TikTok, an ad: ``https://ads.tiktok.com/i18n/perf/creative?aadvid={advertiser id}``
  ``&keyword={ad id}``; a campaign: ``…/i18n/perf/campaign?aadvid=…&keyword={campaign id}``.

The account ids are the connection's ``external_account_id`` (Meta without its ``act_`` prefix,
Google Ads without dashes), passed in by the caller; without one the link opens the manager's
default account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

MANAGERS = {"meta": "Meta Ads Manager", "google_ads": "Google Ads", "tiktok": "TikTok Ads Manager"}
META = "https://adsmanager.facebook.com/adsmanager/manage/"
GOOGLE = "https://ads.google.com/aw/"
TIKTOK = "https://ads.tiktok.com/i18n/perf/"


def _q(params: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _account(platform: str, account: str | None) -> str | None:
    if not account:
        return None
    account = str(account)
    if platform == "meta":
        return account.removeprefix("act_")
    if platform == "google_ads":
        return account.replace("-", "")
    return account


def _campaign_of(target: Mapping[str, Any]) -> str | None:
    if target.get("campaign_id"):
        return str(target["campaign_id"])
    tid = str(target.get("id") or "")
    if tid.startswith("campaign:"):
        return tid.split(":", 2)[-1]
    return None


def link(target: Mapping[str, Any], account: str | None = None) -> tuple[str, str] | None:
    """(URL, words) opening the target (creative, campaign or platform) in its ads manager;
    None for targets that live nowhere on a platform (cohorts, the store)."""
    platform = str(target.get("platform") or "")
    if platform not in MANAGERS:
        return None
    acct = _account(platform, account)
    kind = target.get("kind")
    ad = str(target.get("creative_id") or "") if kind == "creative" else ""
    campaign = _campaign_of(target) if kind in ("creative", "campaign") else None
    manager = MANAGERS[platform]
    if platform == "meta":
        if ad:
            url = META + "ads?" + _q({"act": acct, "selected_ad_ids": ad})
        elif campaign:
            url = META + "campaigns?" + _q({"act": acct, "selected_campaign_ids": campaign})
        else:
            url = META + "campaigns?" + _q({"act": acct})
    elif platform == "google_ads":
        page = "ads" if ad or campaign else "campaigns"
        url = GOOGLE + page + "?" + _q({"__e": acct, "campaignId": campaign})
    else:
        page = "creative" if ad else "campaign"
        url = TIKTOK + page + "?" + _q({"aadvid": acct, "keyword": ad or campaign})
    what = f"ad {ad}" if ad else f"campaign {campaign}" if campaign else "campaigns"
    return url, f"Open {what} in {manager}"


def action_links(
    action: Mapping[str, Any], accounts: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """The deep links of an action's targets (one per target that lives on a platform)."""
    out = []
    for t in action.get("targets") or []:
        hit = link(t, (accounts or {}).get(str(t.get("platform") or "")))
        if hit is not None and hit not in out:
            out.append(hit)
    return out
