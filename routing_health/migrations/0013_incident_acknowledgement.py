"""Incidents record who acknowledged them (Slack or dashboard) and who snoozed them (issue 14)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("routing_health", "0012_report_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertincident",
            name="acknowledged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="alertincident",
            name="acknowledged_by",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AddField(
            model_name="alertincident",
            name="acknowledged_by_slack_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="alertincident",
            name="snoozed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="alertincident",
            name="snoozed_by",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AlterField(
            model_name="incidentevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("fired", "Fired"),
                    ("reminded", "Reminded"),
                    ("resolved", "Resolved"),
                    ("snoozed", "Snoozed"),
                    ("unsnoozed", "Unsnoozed"),
                    ("held", "Held"),
                    ("acknowledged", "Acknowledged"),
                ],
                max_length=16,
            ),
        ),
    ]
