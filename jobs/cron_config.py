"""Configuration file for `rq cron jobs/cron_config.py`: the daily sync at DAILY_SYNC_CRON and
the weekly digest check every 30 minutes (jobs/schedule.py)."""

from jobs.schedule import register

register()
