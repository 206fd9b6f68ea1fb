from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routing_health", "0018_flow_version_numbers"),
    ]

    operations = [
        migrations.AddField(
            model_name="salesforceuser",
            name="out_of_office",
            field=models.BooleanField(default=False),
        ),
    ]
