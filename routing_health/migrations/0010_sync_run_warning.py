from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routing_health", "0009_drop_failure_rollup_day_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="warning",
            field=models.TextField(blank=True, default=""),
        ),
    ]
