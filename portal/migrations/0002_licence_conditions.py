from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="licenceacceptance",
            name="conditions",
            field=models.TextField(blank=True, default=""),
        ),
    ]
