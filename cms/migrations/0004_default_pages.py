from django.db import migrations


def _child(apps, parent, model, content_type_model, **fields):
    ContentType = apps.get_model("contenttypes.ContentType")
    Model = apps.get_model("cms", model)
    Page = apps.get_model("wagtailcore.Page")
    ct, _ = ContentType.objects.get_or_create(model=content_type_model, app_label="cms")
    n = Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).count() + 1
    page = Model.objects.create(
        content_type=ct,
        path=f"{parent.path}{n:04d}",
        depth=parent.depth + 1,
        numchild=0,
        url_path=f"{parent.url_path}{fields['slug']}/",
        locale_id=parent.locale_id,
        live=True,
        draft_title=fields["title"],
        **fields,
    )
    parent.numchild = n
    parent.save(update_fields=["numchild"])
    return page


def create_pages(apps, schema_editor):
    HomePage = apps.get_model("cms.HomePage")
    home = HomePage.objects.filter(depth=2).first()
    if home is None:
        return
    _child(apps, home, "OutcomeIndexPage", "outcomeindexpage", title="项目成果", slug="outcomes")
    _child(
        apps,
        home,
        "StandardPage",
        "standardpage",
        title="关于社区公益基金池",
        slug="about",
        intro="居民的钱、政府的钱、企业的钱，都在一个公开的账本里，用来支持居民自己发起的社区微创投项目。",
    )


def remove_pages(apps, schema_editor):
    for model in ("OutcomeIndexPage", "StandardPage"):
        apps.get_model("cms", model).objects.filter(depth=3).delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_outcome_pages")]
    operations = [migrations.RunPython(create_pages, remove_pages)]
