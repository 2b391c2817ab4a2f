"""Configuration file for `rq cron jobs/cron_config.py`: the daily sync at DAILY_SYNC_CRON."""

from jobs.schedule import register

register()
