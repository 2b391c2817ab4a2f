"""Configuration file for `rq cron jobs/cron_config.py`: the daily sync at DAILY_SYNC_CRON and
the weekly digest check every 30 minutes (jobs/schedule.py).

Loading it also records that the scheduler started (/readyz goes 503 when neither a start
nor a daily run is newer than SCHEDULER_STALE_HOURS)."""

import os

from redis import Redis

from jobs.schedule import mark_scheduler, register

register()
if os.environ.get("REDIS_URL"):
    mark_scheduler("started", Redis.from_url(os.environ["REDIS_URL"]))
