from django.conf import settings
import django.db.models.deletion
from django.db import migrations, models

import grants.validators


def fill_name_keys(apps, schema_editor):
    """Existing groups get their clean name and its key. A look-alike registered before names were
    compared by key keeps a key of its own (its id appended), so it goes on working until staff
    rename it; every new registration is compared with the first."""
    from core.text import clean_name, name_key

    ResidentGroup = apps.get_model("grants", "ResidentGroup")
    seen = set()
    for group in ResidentGroup.objects.order_by("pk"):
        name = clean_name(group.name) or group.name
        key = name_key(name)[:300]
        if (group.community_id, key) in seen:
            key = f"{key[:280]}#{group.pk}"
        seen.add((group.community_id, key))
        ResidentGroup.objects.filter(pk=group.pk).update(name=name, name_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0011_i15_lifecycle"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="residentgroup",
            name="group_unique_name_in_community",
        ),
        migrations.AddField(
            model_name="residentgroup",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=300),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="residentgroup",
            name="leader_phone",
            field=models.CharField(
                max_length=30, validators=[grants.validators.validate_phone], verbose_name="leader's phone"
            ),
        ),
        migrations.AddField(
            model_name="groupinvitation",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="groupinvitation",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="budget_draft",
            field=models.JSONField(blank=True, default=list, verbose_name="budget as typed"),
        ),
        migrations.AddConstraint(
            model_name="residentgroup",
            constraint=models.UniqueConstraint(
                fields=("community", "name_key"),
                name="group_unique_name_in_community",
                violation_error_message="A group with this name is already registered in this community.",
            ),
        ),
    ]
