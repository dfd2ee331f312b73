from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("cms.HomePage")

    # Wagtail's own placeholder "Welcome" page goes; ours takes its place.
    page_ct = ContentType.objects.get(model="page", app_label="wagtailcore")
    Site.objects.filter(root_page__content_type=page_ct, root_page__depth=2).delete()
    Page.objects.filter(content_type=page_ct, slug="home", depth=2).delete()
    root = Page.objects.get(depth=1)

    locale = Locale.objects.order_by("pk").first() or Locale.objects.create(language_code="zh-hans")
    home_ct, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    homepage = HomePage.objects.create(
        title="社区公益基金池",
        draft_title="社区公益基金池",
        slug="home",
        content_type=home_ct,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        live=True,
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    Site.objects.create(
        hostname="localhost", port=80, site_name="社区公益基金池", root_page=homepage, is_default_site=True
    )


def remove_homepage(apps, schema_editor):
    HomePage = apps.get_model("cms.HomePage")
    HomePage.objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0001_initial")]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
