"""Dated exchange rates: ad spend in an account's currency, converted to the org's.

Rates live in ``fx_rate`` (1 ``base`` = ``rate`` ``quote`` on ``day``), imported from a
configurable source: ``flask --app app fx-rates import FILE.csv`` (columns
``day,base,quote,rate``; e.g. ECB reference rates). A day uses the latest rate on or before
it, at most :data:`MAX_STALE_DAYS` old (markets close at weekends). Without a usable rate the
conversion is refused with :class:`RatesMissing` - never a silent 1:1.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ad_columns import AdColumns
from models.data import FxRate

MAX_STALE_DAYS = 7


class RatesMissing(ValueError):
    """No usable exchange rate for some days; the message says which and how to fix it."""


def rates_between(
    session: Session, base: str, quote: str, since: dt.date, until: dt.date
) -> dict[dt.date, Decimal]:
    """Rate per day in ``[since, until]`` (only days that have a usable rate)."""
    stored = session.execute(
        select(FxRate.day, FxRate.rate)
        .where(
            FxRate.base == base,
            FxRate.quote == quote,
            FxRate.day >= since - dt.timedelta(days=MAX_STALE_DAYS),
            FxRate.day <= until,
        )
        .order_by(FxRate.day)
    ).all()
    out: dict[dt.date, Decimal] = {}
    i, last = 0, None
    day = since
    while day <= until:
        while i < len(stored) and stored[i].day <= day:
            last = stored[i]
            i += 1
        if last is not None and (day - last.day).days <= MAX_STALE_DAYS:
            out[day] = Decimal(last.rate)
        day += dt.timedelta(days=1)
    return out


def convert_ad_columns(
    session: Session, ads: AdColumns, base: str | None, quote: str | None
) -> None:
    """Spend and platform revenue of ``ads`` in ``quote`` (the org's currency), in place.

    Unchanged when either currency is unknown or they are equal. Raises RatesMissing
    listing the first days without a rate (nothing converted)."""
    if not len(ads) or not base or not quote or base.upper() == quote.upper():
        return
    base, quote = base.upper(), quote.upper()
    days = ads.days()
    rates = rates_between(session, base, quote, days[0], days[-1])
    missing = [d for d in days if d not in rates]
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:3]) + (" …" if len(missing) > 3 else "")
        raise RatesMissing(
            f"This account reports in {base} and your organization uses {quote}, but there is "
            f"no {base}→{quote} exchange rate for {len(missing)} day(s) ({shown}). Import rates "
            "with `flask --app app fx-rates import rates.csv` (columns day,base,quote,rate); "
            "nothing was written."
        )
    ads.convert_money(rates)


def import_rates(session: Session, lines: Iterable[str], source: str = "") -> int:
    """Upsert rates from CSV text (``day,base,quote,rate`` header). Returns rows written."""
    written = 0
    for n, rec in enumerate(csv.DictReader(lines), 2):
        try:
            day = dt.date.fromisoformat(str(rec["day"]).strip())
            base, quote = str(rec["base"]).strip().upper(), str(rec["quote"]).strip().upper()
            rate = Decimal(str(rec["rate"]).strip())
        except (KeyError, ValueError, InvalidOperation, TypeError):
            raise ValueError(f"line {n}: expected day,base,quote,rate, got {rec!r}") from None
        if len(base) != 3 or len(quote) != 3 or rate <= 0:
            raise ValueError(f"line {n}: bad currency code or rate: {rec!r}")
        row = session.execute(
            select(FxRate).where(FxRate.day == day, FxRate.base == base, FxRate.quote == quote)
        ).scalar_one_or_none()
        if row is None:
            session.add(FxRate(day=day, base=base, quote=quote, rate=rate, source=source[:80]))
        else:
            row.rate, row.source = rate, source[:80]
        written += 1
    session.flush()
    return written


def import_rates_file(session: Session, path: str | Path) -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        return import_rates(session, fh, source=Path(path).name)
