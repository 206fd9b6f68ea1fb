from django.db import migrations, models
from django.db.models import F


def seen_on_their_lead(apps, schema_editor):
    """An activity stored with a lead as its WhoId was seen on that lead. Those already on a
    Contact keep no seen lead: which lead the sync saw them on was not recorded."""
    Activity = apps.get_model("routing_health", "Activity")
    Activity.objects.filter(who_id__startswith="00Q").update(seen_lead_id=F("who_id"))


class Migration(migrations.Migration):

    dependencies = [
        ("routing_health", "0010_sync_run_warning"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="seen_lead_id",
            field=models.CharField(blank=True, default="", max_length=18),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["who_id"], name="activity_who_idx"),
        ),
        migrations.RunPython(seen_on_their_lead, migrations.RunPython.noop),
    ]
