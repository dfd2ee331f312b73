from django.db import migrations, models


def awarded_at_from_the_log(apps, schema_editor):
    """Awards confirmed before the time was stored: the time is in the lifecycle log."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    StateLog = apps.get_model("django_fsm_log", "StateLog")
    Application = apps.get_model("grants", "Application")
    content_type = ContentType.objects.filter(app_label="grants", model="application").first()
    if content_type is None:
        return
    logs = StateLog.objects.filter(content_type=content_type, transition="confirm_award").order_by("timestamp", "pk")
    for log in logs:  # the latest confirmation of each application wins
        Application.objects.filter(pk=log.object_id).update(awarded_at=log.timestamp)


def finance_no_longer_manages_delivery(apps, schema_editor):
    """Finance pays; it no longer signs agreements or accepts reports (cms/roles.py only adds
    permissions, so the one withdrawn is taken away here)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(content_type__app_label="grants", codename="manage_delivery").first()
    if permission is None:
        return
    for group in Group.objects.filter(name="财务 Finance"):
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0010_i15_review"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_fsm_log", "0005_description_null"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="awarded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="award confirmed at"),
        ),
        migrations.AddField(
            model_name="call",
            name="allow_multiple_applications",
            field=models.BooleanField(
                default=False,
                help_text="Off: one application per group in this call (withdrawn and ineligible ones don't count). "
                "On: a group may send several projects.",
                verbose_name="a group may apply more than once",
            ),
        ),
        migrations.RunPython(awarded_at_from_the_log, migrations.RunPython.noop),
        migrations.RunPython(finance_no_longer_manages_delivery, migrations.RunPython.noop),
    ]
