"""Data policies (docs/policies.md): usage conditions, per-dataset policy, embargo notices,
access requests and the access audit."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0004_published_data_withdrawal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="usage_conditions",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.CreateModel(
            name="DatasetPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("embargo_fixed", models.BooleanField(default=False)),
                ("usage_conditions", models.TextField(blank=True, default="")),
                ("updated_by", models.CharField(blank=True, default="", max_length=255)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "dataset",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="policy_override",
                        to="catalogue.dataset",
                    ),
                ),
            ],
            options={"verbose_name": "dataset policy", "verbose_name_plural": "dataset policies"},
        ),
        migrations.CreateModel(
            name="EmbargoNotice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("embargo_end", models.DateTimeField()),
                ("recipients", models.JSONField(blank=True, default=list)),
                ("sent_at", models.DateTimeField(auto_now_add=True)),
                (
                    "dataset",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="embargo_notices",
                        to="catalogue.dataset",
                    ),
                ),
            ],
            options={
                "ordering": ["-sent_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dataset", "embargo_end"), name="one_notice_per_embargo_end"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AccessRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.CharField(max_length=255)),
                ("message", models.TextField(blank=True, default="")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("granted", "Granted"),
                            ("refused", "Refused"),
                            ("withdrawn", "Withdrawn"),
                            ("ended", "Ended"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("decided_by", models.CharField(blank=True, default="", max_length=255)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_note", models.TextField(blank=True, default="")),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("added_email", models.BooleanField(default=False)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                (
                    "dataset",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="access_requests",
                        to="catalogue.dataset",
                    ),
                ),
                (
                    "requester",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="access_requests",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["status", "expires_at"], name="accessrequest_expiry"),
                    models.Index(fields=["dataset", "status"], name="accessrequest_dataset"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "pending")),
                        fields=("dataset", "requester"),
                        name="one_pending_request_per_user",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AccessEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("timestamp", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("actor", models.CharField(blank=True, default="", max_length=255)),
                ("subject", models.CharField(max_length=255)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("owner_group", "Owner Group"),
                            ("access_groups", "Access Groups"),
                            ("shared_with", "Shared With"),
                            ("embargo", "Embargo"),
                            ("publication", "Publication"),
                            ("access_request", "Access Request"),
                            ("policy", "Policy"),
                        ],
                        max_length=32,
                    ),
                ),
                ("action", models.CharField(default="changed", max_length=32)),
                ("before", models.JSONField(blank=True, null=True)),
                ("after", models.JSONField(blank=True, null=True)),
                ("note", models.TextField(blank=True, default="")),
            ],
            options={
                "ordering": ["-timestamp", "-id"],
                "indexes": [
                    models.Index(fields=["subject", "-timestamp"], name="accessevent_subject"),
                    models.Index(fields=["kind", "-timestamp"], name="accessevent_kind"),
                    models.Index(fields=["actor", "-timestamp"], name="accessevent_actor"),
                ],
            },
        ),
    ]
