from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routing_health", "0019_kill_switch"),
    ]

    operations = [
        migrations.AddField(
            model_name="salesforceuser",
            name="out_of_office",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="FairnessReview",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("month", models.CharField(max_length=7, unique=True)),
                ("start", models.DateField()),
                ("end", models.DateField()),
                ("as_of", models.DateTimeField()),
                ("complete", models.BooleanField(default=True)),
                ("generated_at", models.DateTimeField()),
                ("html_gzip", models.BinaryField()),
                ("summary", models.JSONField(default=dict)),
            ],
            options={"ordering": ["-start"]},
        ),
    ]
