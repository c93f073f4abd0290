"""The DOI lifecycle of published data (catalogue/models/publishing.py: DoiState).

Records registered before this migration never reached a registration agency: they become
`reserved` with a sync request, so the sweep registers them once DataCite is configured.
"""

from django.db import migrations, models
from django.utils import timezone


def reserve_registered(apps, schema_editor):
    PublishedData = apps.get_model("catalogue", "PublishedData")
    PublishedData.objects.filter(status__in=["registered", "amended"]).update(
        state="reserved", sync_requested_at=timezone.now()
    )


class Migration(migrations.Migration):

    dependencies = [
        ("catalogue", "0004_published_data_withdrawal"),
    ]

    operations = [
        migrations.AddField(
            model_name="publisheddata",
            name="state",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("reserved", "Reserved"),
                    ("registered", "Registered"),
                    ("findable", "Findable"),
                    ("hidden", "Hidden"),
                    ("failed", "Failed"),
                ],
                db_index=True,
                default="draft",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="remote_state",
            field=models.CharField(blank=True, default="", max_length=12),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="doi_error",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="doi_errors",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="last_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="synced_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="sync_requested_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="sync_claim",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="sync_claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="publisheddata",
            name="synced_sha256",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(reserve_registered, migrations.RunPython.noop),
    ]
