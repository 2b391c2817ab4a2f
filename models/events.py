"""Known events of an org (sales, launches, pauses, tracking and price changes, holidays).

The brain takes them as pure input (``compute_brain_state(events=...)``): their days are
left out of baselines and findings on them are worded as context. ``source`` says where
one came from: ``manual`` (a user, on analytics or an anomaly), ``calendar`` (the default
US retail calendar, editable per org) or ``auto`` (detected by the brain; not stored).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import TenantScoped, created_at, org_fk

EVENT_KINDS = ("sale", "launch", "pause", "tracking", "price", "holiday")
EVENT_SOURCES = ("manual", "calendar", "auto")
PLATFORM_KEYS = ("meta", "google_ads", "tiktok")
MAX_EVENT_DAYS = 62


class OrgEvent(TenantScoped, db.Model):
    __tablename__ = "org_event"
    __table_args__ = (UniqueConstraint("org_id", "kind", "start", "end", "platform", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    kind: Mapped[str] = mapped_column(String(20))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    platform: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "platform": self.platform,
            "note": self.note,
            "source": self.source,
        }

    def brain_input(self) -> dict:
        d = self.as_dict()
        d.pop("id")
        return d


class EventError(ValueError):
    """Bad event input; the message is safe to show."""


def parse_event(data: object) -> dict:
    """Validate a JSON body into event fields (raises EventError with a plain message)."""
    if not isinstance(data, dict):
        raise EventError("send a JSON object with kind, start and end")
    kind = str(data.get("kind") or "").strip().lower()
    if kind not in EVENT_KINDS:
        raise EventError(f"kind must be one of {', '.join(EVENT_KINDS)}")
    try:
        start = date.fromisoformat(str(data.get("start") or ""))
        end = date.fromisoformat(str(data.get("end") or data.get("start") or ""))
    except ValueError:
        raise EventError("start and end must be dates like 2026-11-27") from None
    if end < start:
        raise EventError("end is before start")
    if (end - start).days + 1 > MAX_EVENT_DAYS:
        raise EventError(f"an event lasts at most {MAX_EVENT_DAYS} days")
    platform = data.get("platform") or None
    if platform is not None and platform not in PLATFORM_KEYS:
        raise EventError(f"platform must be one of {', '.join(PLATFORM_KEYS)} or empty")
    note = str(data.get("note") or "")[:200]
    return {"kind": kind, "start": start, "end": end, "platform": platform, "note": note}


def list_events(org_id: int) -> list[OrgEvent]:
    return list(
        db.session.scalars(
            select(OrgEvent).where(OrgEvent.org_id == org_id).order_by(OrgEvent.start, OrgEvent.id)
        )
    )


def brain_events(org_id: int) -> list[dict]:
    """The org's events as the brain's pure input: stored ones plus the default calendar,
    minus the calendar entries the org hid (stored as source='calendar', note='removed')."""
    rows = list_events(org_id)
    removed = {
        (r.kind, r.start, r.end) for r in rows if r.source == "calendar" and r.note == "removed"
    }
    out = [r.brain_input() for r in rows if not (r.source == "calendar" and r.note == "removed")]
    stored = {(e["kind"], e["start"], e["end"]) for e in out}
    years = {date.today().year - 1, date.today().year}
    for ev in us_retail_calendar(years):
        key = (ev["kind"], date.fromisoformat(ev["start"]), date.fromisoformat(ev["end"]))
        if key in removed or (ev["kind"], ev["start"], ev["end"]) in stored:
            continue
        out.append(ev)
    out.sort(key=lambda e: (e["start"], e["kind"]))
    return out


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def us_retail_calendar(years: set[int] | list[int]) -> list[dict]:
    """Default US retail calendar: BFCM, Prime Day (mid-July, approximate), holidays."""
    out = []
    for y in sorted(years):
        thanksgiving = _nth_weekday(y, 11, 3, 4)
        prime = _nth_weekday(y, 7, 1, 2)  # Amazon has run it on the 2nd Tue/Wed of July
        items = [
            ("sale", thanksgiving + timedelta(days=1), thanksgiving + timedelta(days=4), "BFCM"),
            ("sale", prime, prime + timedelta(days=1), "Prime Day (approximate dates)"),
            ("holiday", thanksgiving, thanksgiving, "Thanksgiving"),
            ("holiday", date(y, 12, 24), date(y, 12, 26), "Christmas"),
            ("holiday", date(y, 12, 31), date(y + 1, 1, 1), "New Year"),
            ("holiday", _nth_weekday(y, 5, 6, 2), _nth_weekday(y, 5, 6, 2), "Mother's Day"),
            ("holiday", date(y, 7, 4), date(y, 7, 4), "Independence Day"),
        ]
        for kind, s, e, note in items:
            out.append(
                {
                    "kind": kind,
                    "start": s.isoformat(),
                    "end": e.isoformat(),
                    "platform": None,
                    "note": note,
                    "source": "calendar",
                }
            )
    return out


def add_event(org_id: int, user_id: int | None, data: object) -> OrgEvent:
    """Validate and store a manual event for ``org_id`` (raises EventError on bad input
    or a duplicate). Shared by the JSON API and the analytics page."""
    fields = parse_event(data)
    same = [
        e
        for e in list_events(org_id)
        if (e.kind, e.start, e.end, e.platform, e.source)
        == (fields["kind"], fields["start"], fields["end"], fields["platform"], "manual")
    ]
    if same:  # NULL platforms are distinct to a unique constraint: check here too
        raise EventError("this event is already recorded")
    ev = OrgEvent(org_id=org_id, source="manual", user_id=user_id, **fields)
    db.session.add(ev)
    db.session.commit()
    return ev


def delete_event(org_id: int, event_id: object) -> bool:
    """Delete one of ``org_id``'s events; another org's id (or garbage) deletes nothing."""
    try:
        eid = int(event_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    ev = db.session.get(OrgEvent, eid)
    if ev is None or ev.org_id != org_id:
        return False
    db.session.delete(ev)
    db.session.commit()
    return True


def hide_calendar_entry(org_id: int, data: object) -> None:
    """Hide one default-calendar entry for ``org_id`` (stored as a 'removed' marker)."""
    fields = parse_event(data)
    fields.update(note="removed", platform=None)
    exists = [
        e
        for e in list_events(org_id)
        if e.source == "calendar"
        and (e.kind, e.start, e.end) == (fields["kind"], fields["start"], fields["end"])
    ]
    if not exists:
        db.session.add(OrgEvent(org_id=org_id, source="calendar", **fields))
        db.session.commit()
