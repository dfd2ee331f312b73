"""Demo places: one sub-district and its communities."""

from .models import Community, SubDistrict

SUB_DISTRICT = ("翠湖街道", "江州市", "明湖区")
COMMUNITIES = [
    ("cuihu", "翠湖社区"),
    ("wutong", "梧桐社区"),
    ("binjiang", "滨江社区"),
    ("huayuan", "花园社区"),
    ("xincun", "新村社区"),
]


def seed_places() -> list[Community]:
    name, city, district = SUB_DISTRICT
    sub, _ = SubDistrict.objects.get_or_create(name=name, defaults={"city": city, "district": district})
    return [
        Community.objects.get_or_create(code=code, defaults={"sub_district": sub, "name": label})[0]
        for code, label in COMMUNITIES
    ]
