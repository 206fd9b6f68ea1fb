"""The weekly review and the daily digest (spec sections 1, 7 and 8).

- ``build_weekly_report(config, week, as_of)`` → ``WeeklyReportData`` (``weekly.py``);
- ``render_weekly_html(report)`` → one self-contained HTML file (``render.py``);
- ``weekly_slack_payload(report, report_url)`` → the Block Kit summary (``slack_summary.py``);
- ``build_daily_digest(config, day, as_of)`` / ``digest_payload(digest)`` (``digest.py``);
- ``save_weekly_report(...)`` stores a review for the dashboard's Reports page (``store.py``).
- ``send_daily_digest(day=...)`` / ``send_weekly_review(week=..., post_to_slack=...)`` build,
  store and post them through the notification outbox (``service.py``: what the commands and the
  scheduled jobs call).

Numbers come from ``reports.export.compute_export``, so they equal ``export_metrics``.
"""
