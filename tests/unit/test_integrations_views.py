"""Pure view functions of the Integrations page and the onboarding wizard (no app, no DB)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import plotly.io  # noqa: F401 - makes the components JSON-serialisable like Dash does
import pytest
from dash import html
from plotly.utils import PlotlyJSONEncoder

from layouts import integrations as v
from layouts import onboarding as onb

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def dump(component: object) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


def conn(**over: object) -> dict:
    base = {
        "id": 7,
        "platform": "meta",
        "account_id": "act_42",
        "account_name": "Acme EU",
        "status": "active",
        "last_synced_at": NOW - timedelta(hours=2),
        "last_error": None,
        "token_expires_at": None,
        "token_hint": "••••wxyz",
        "stored_rows": 12345,
        "latest_sync": None,
    }
    base.update(over)
    return base


def sync(**over: object) -> dict:
    base = {
        "id": 3,
        "connection_id": 7,
        "trigger": "manual",
        "status": "running",
        "progress": 40,
        "rows": 1200,
        "error": None,
        "attempts": 1,
        "created_at": NOW - timedelta(minutes=1),
        "started_at": NOW - timedelta(seconds=50),
        "finished_at": None,
    }
    base.update(over)
    return base


# ---- status ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "label", "color"),
    [
        ("active", "Connected", "success"),
        ("needs_reauth", "Needs reconnect", "warning"),
        ("error", "Error", "danger"),
        ("disabled", "Disconnected", "secondary"),
        (None, "Not connected", "light"),
        ("something-new", "Error", "danger"),  # unknown values never read as fine
    ],
)
def test_status_view_has_words_and_colour(status, label, color):
    view = v.status_view(status)
    assert view["label"] == label and view["color"] == color and view["symbol"]


def test_status_badge_spells_the_status_out():
    badge = dump(v.status_badge("needs_reauth"))
    assert "Needs reconnect" in badge and '"warning"' in badge


def test_platform_status_picks_what_needs_attention():
    assert v.platform_status([]) is None
    assert v.platform_status([{"status": "active"}, {"status": "error"}]) == "error"
    assert v.platform_status([{"status": "disabled"}, {"status": "active"}]) == "active"
    assert v.platform_status([{"status": "disabled"}]) == "disabled"


# ---- time and numbers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(seconds=-30), "just now"),  # clock skew
        (timedelta(seconds=50), "1 min ago"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=2, minutes=10), "2 h ago"),
        (timedelta(hours=23, minutes=59), "23 h ago"),
        (timedelta(days=1, hours=3), "1 day ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=40), "on 29 Jan 2026"),
    ],
)
def test_relative_time(delta, text):
    assert v.relative_time(NOW - delta, NOW) == text


def test_relative_time_never_and_naive_utc():
    assert v.relative_time(None, NOW) == "Never"
    naive = (NOW - timedelta(hours=3)).replace(tzinfo=None)  # SQLite hands these back
    assert v.relative_time(naive, NOW) == "3 h ago"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.25, "250 ms"), (42, "42 s"), (185, "3 min 5 s"), (120, "2 min"), (3720, "1 h 2 min")],
)
def test_format_duration(seconds, text):
    assert v.format_duration(NOW, NOW + timedelta(seconds=seconds)) == text


def test_format_duration_unfinished_and_counts():
    assert v.format_duration(NOW, None) == "–"
    assert v.format_count(1234567) == "1,234,567" and v.format_count(None) == "0"


# ---- progress ------------------------------------------------------------------------------
def test_progress_running_animates_with_label():
    props = v.progress_props(sync(status="running", progress=45, rows=900), NOW)
    assert props["value"] == 45 and props["label"] == "45%"
    assert props["animated"] and props["striped"] and props["active"]
    assert "45%" in props["caption"] and "900" in props["caption"]


def test_progress_queued_and_retrying():
    queued = v.progress_props(sync(status="queued", progress=0), NOW)
    assert queued["value"] == 0 and queued["active"] and "Queued" in queued["caption"]
    retry = v.progress_props(sync(status="queued", error="Meta is busy; retrying."), NOW)
    assert retry["color"] == "warning" and "Retrying" in retry["caption"]


def test_progress_clamped():
    assert v.progress_props(sync(progress=250), NOW)["value"] == 100
    assert v.progress_props(sync(progress=-5), NOW)["value"] == 0


def test_progress_recent_success_stays_full_then_disappears():
    done = sync(status="succeeded", progress=100, rows=90, finished_at=NOW - timedelta(minutes=2))
    props = v.progress_props(done, NOW)
    assert props["value"] == 100 and not props["active"] and "90 rows" in props["caption"]
    done["finished_at"] = NOW - timedelta(hours=1)
    assert v.progress_props(done, NOW) is None


def test_progress_none_for_failed_or_missing():
    failed = sync(status="failed", progress=30, finished_at=NOW)
    assert v.progress_props(failed, NOW) is None
    assert v.progress_props(None, NOW) is None


def test_progress_block_is_a_named_progressbar():
    block = dump(v.progress_block(sync(progress=60, rows=10), "Meta Ads", NOW))
    assert '"role": "progressbar"' in block and '"aria-label": "Meta Ads sync progress"' in block
    assert '"aria-valuenow": 60' in block and '"aria-valuemin": 0' in block
    assert '"aria-valuemax": 100' in block and '"width": "60%"' in block
    assert '"children": "60%"' in block and "progress-bar-animated" in block
    assert '"aria-valuetext": "Syncing… 60% (10 rows so far)"' in block


# ---- history -------------------------------------------------------------------------------
def test_history_rows_words():
    rows = v.history_rows(
        [
            sync(
                id=1,
                status="failed",
                trigger="backfill",
                rows=0,
                started_at=NOW - timedelta(hours=5),
                finished_at=NOW - timedelta(hours=5) + timedelta(seconds=42),
                error="The Meta connection expired or was revoked.",
                platform="meta",
                account_name="Acme EU",
            ),
            sync(id=2, status="running", platform="shopify", account_name="acme"),
            sync(id=3, status="queued", trigger="scheduled", started_at=None, platform="tiktok"),
        ],
        NOW,
    )
    first, running, queued = rows
    assert first["when"] == "5 h ago" and first["platform"] == "Meta Ads"
    assert first["trigger"] == "First sync (backfill)" and first["status"] == "Failed"
    assert first["duration"] == "42 s" and first["error"].startswith("The Meta connection")
    assert first["status_color"] == "danger" and first["rows"] == "0"
    assert running["duration"] == "running" and running["platform"] == "Shopify"
    assert queued["trigger"] == "Daily schedule" and queued["duration"] == "waiting"
    assert queued["when"] == "1 min ago"  # not started yet: when it was queued


def test_history_table_labels_cells_for_phones():
    table = dump(v.history_table(v.history_rows([sync(platform="meta")], NOW)))
    for label in ("When", "Platform", "Trigger", "Status", "Rows", "Duration", "Error"):
        assert f'"data-label": "{label}"' in table
    assert "No syncs" in dump(v.history_table([]))


# ---- accounts and cards --------------------------------------------------------------------
def test_account_display_masks_and_dedupes():
    shown = v.account_display(conn())
    assert shown == {"name": "Acme EU", "account": "act_42", "token": "Token ••••wxyz"}
    same = v.account_display(conn(account_name="", token_hint=""))
    assert same == {"name": "act_42", "account": "", "token": ""}


def test_live_children_shows_details_and_masked_token_to_admins_only():
    admin = dump(v.live_children(conn(), True, NOW))
    member = dump(v.live_children(conn(), False, NOW))
    assert "2 h ago" in admin and "12,345" in admin and "Connected" in admin
    assert "••••wxyz" in admin and "••••wxyz" not in member


def test_live_children_reconnect_for_admins_when_expired():
    expired = conn(status="needs_reauth", last_error="The Meta connection expired.")
    admin = dump(v.live_children(expired, True, NOW))
    assert "/connect/meta/start?account=act_42" in admin and "The Meta connection expired." in admin
    assert "/connect/meta/start" not in dump(v.live_children(expired, False, NOW))


def test_reconnect_link_quotes_the_account():
    odd = conn(status="error", account_id="a b&c=d")
    assert "account=a%20b%26c%3Dd" in dump(v.live_children(odd, True, NOW))


def test_cards_grid_has_four_platforms_and_admin_actions():
    grid = dump(v.cards_grid([conn()], True, NOW, {"meta": True}))
    for name in ("Meta Ads", "Google Ads", "TikTok Ads", "Shopify"):
        assert name in grid
    assert "int-disconnect" in grid and "int-sync" in grid and "Connect another account" in grid
    assert '"action": "/connect/google_ads/start"' in grid and v.SHOPIFY_TOKEN in grid


def test_cards_grid_member_can_sync_but_not_connect_or_disconnect():
    grid = dump(v.cards_grid([conn()], False, NOW))
    assert "int-sync" in grid
    assert "int-disconnect" not in grid and "/connect/" not in grid and v.SHOPIFY_TOKEN not in grid
    assert "Ask an owner or admin" in grid


def test_unconfigured_oauth_form_is_disabled_and_says_why():
    form = dump(v.oauth_connect_form("tiktok", configured=False))
    assert '"disabled": true' in form and "not set up on this server" in form
    assert "Ask whoever runs Omnify" not in form


def test_unconfigured_oauth_form_names_the_settings_and_the_redirect_url():
    setup = {
        "env": ["TIKTOK_APP_ID", "TIKTOK_APP_SECRET"],
        "missing": ["TIKTOK_APP_ID"],
        "redirect": "https://omnify.example.com/connect/tiktok/callback",
        "readme_title": "TikTok app (self-hosted)",
        "readme_url": "https://docs.example.com/README#tiktok-app-self-hosted",
    }
    form = dump(v.oauth_connect_form("tiktok", configured=False, setup=setup))
    for text in (*setup["env"], setup["redirect"], setup["readme_url"]):
        assert text in form
    assert "int-setup-tiktok" not in dump(v.oauth_connect_form("tiktok", True, setup=setup))


def test_wizard_asks_oauth_to_come_back():
    assert '"value": "/onboarding", "type": "hidden", "name": "next"' in dump(
        v.oauth_connect_form("meta", True, return_to="/onboarding")
    )
    assert '"name": "next"' not in dump(v.oauth_connect_form("meta", True))


def test_disconnected_account_has_no_sync_button():
    grid = dump(v.cards_grid([conn(status="disabled")], True, NOW))
    assert "Disconnected" in grid and "int-sync" not in grid


# ---- onboarding ----------------------------------------------------------------------------
ZONES = frozenset({"UTC", "America/New_York", "Europe/Berlin"})


@pytest.mark.parametrize(
    ("margin", "stored"),
    [(65, Decimal("0.6500")), ("62.5", Decimal("0.6250")), (1, Decimal("0.0100")), (100, 1)],
)
def test_parse_profile_valid(margin, stored):
    clean, errors = onb.parse_profile("eur", "Europe/Berlin", margin, ZONES)
    assert errors == {}
    assert clean == {"currency": "EUR", "timezone": "Europe/Berlin", "gross_margin": stored}


@pytest.mark.parametrize(
    "margin", [0, 0.5, 100.01, 150, -3, "abc", "", None, True, "nan", "inf", [65]]
)
def test_parse_profile_rejects_bad_margin(margin):
    clean, errors = onb.parse_profile("USD", "UTC", margin, ZONES)
    assert "gross_margin" in errors and "gross_margin" not in clean


def test_parse_profile_rejects_unknown_currency_and_zone():
    _, errors = onb.parse_profile("XXX", "Mars/Olympus", 60, ZONES)
    assert set(errors) == {"currency", "timezone"}
    _, errors = onb.parse_profile(5, 7, 60, ZONES)
    assert set(errors) == {"currency", "timezone"}


def test_steps_order():
    assert onb.normalize_step(None) == "profile" and onb.normalize_step("bogus") == "profile"
    assert onb.normalize_step("done") == "done"
    assert [onb.next_step(s) for s in onb.STEP_KEYS] == ["connect", "backfill", "insights", "done"]
    assert onb.previous_step("profile") is None and onb.previous_step("insights") == "backfill"


def test_stepper_says_where_you_are_in_words():
    nav = dump(onb.stepper("backfill", {"profile": True, "connect": True}))
    assert "Step 3 of 4: First sync" in nav and '"aria-current": "step"' in nav
    assert nav.count('"Done"') == 2 and "Current step" in nav
    skipped = dump(onb.stepper("backfill", {"profile": True}))  # moved on with nothing connected
    assert skipped.count('"Done"') == 1 and skipped.count('"Skipped"') == 1
    assert "Setup complete" in dump(onb.stepper("done"))


def test_margin_percent_for_the_form():
    assert onb.margin_percent(Decimal("0.6500")) == 65.0
    assert onb.margin_percent(None) is None


def test_insights_body_links_only_when_ready():
    assert "appear after the first sync" in dump(onb.insights_body(False))
    assert "ready" in dump(onb.insights_body(True))


def test_profile_step_read_only_for_members():
    panel = dump(onb.profile_step({"currency": "USD"}, ["UTC"], can_edit=False))
    assert "Only owners and admins" in panel
    assert isinstance(onb.profile_step({}, ["UTC"]), html.Div)


def test_shopify_help_asks_for_every_scope_a_sync_needs():
    from integrations.shopify import REQUIRED_SCOPES
    from layouts import integrations as view

    assert tuple(view.SHOPIFY_SCOPES) == REQUIRED_SCOPES
    text = str(view.shopify_form())
    assert all(scope in text for scope in REQUIRED_SCOPES)
