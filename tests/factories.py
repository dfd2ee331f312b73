import factory
from django.contrib.auth import get_user_model

from fundpool.models import Funder, SourceType, Theme


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("pass-word-123")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"主题{n}")


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funder

    name = factory.Sequence(lambda n: f"资助方{n}")
    source_type = SourceType.GOVERNMENT
