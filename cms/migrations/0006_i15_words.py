"""Wagtail's migrations name its default user groups and moderation workflow in English ("Moderators",
"Editors", "Moderators approval"), and the admin shows those names as they are: staff read
"提交给Moderators approval" on every page they edit. Give them names in the style of our roles
(cms/roles.py), only where they still have Wagtail's default names."""

from django.db import migrations

GROUPS = {"Moderators": "审核员 Moderators", "Editors": "编辑 Editors"}
WORKFLOW = {"Moderators approval": "审核员审批"}


def _rename(apps, groups, workflows):
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    for old, new in groups.items():
        if not Group.objects.filter(name=new).exists():
            Group.objects.filter(name=old).update(name=new)
    for old, new in workflows.items():
        Workflow.objects.filter(name=old).update(name=new)
        Task.objects.filter(name=old).update(name=new)


def forwards(apps, schema_editor):
    _rename(apps, GROUPS, WORKFLOW)


def backwards(apps, schema_editor):
    _rename(apps, {v: k for k, v in GROUPS.items()}, {v: k for k, v in WORKFLOW.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_body_heading_template"),
        ("wagtailcore", "0048_add_default_workflows"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
