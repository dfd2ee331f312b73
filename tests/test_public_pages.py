"""Public pages that read across the fund: the transparency dashboard and the directory of funded
projects (Chinese search, filters, paging), their query counts, and a privacy sweep of every public
response."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fundpool.donations import services as donation_services
from fundpool.donations import stripe_events
from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType
from grants import transitions
from grants.lifecycle import Status
from grants.models import Feedback, Objection

from .factories import ApplicationFactory, GroupFactory, ThemeFactory
from .grants.conftest import put_in_state

pytestmark = pytest.mark.django_db


def funded(staff, **kw):
    application = put_in_state(ApplicationFactory(**kw), Status.AWARDED)
    return transitions.application_transition(
        application=application, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )


def test_the_dashboard_agrees_with_the_summary_json(client, staff):
    funded(staff, title="长者助餐点")
    ledger_services.inflow_record(source_type=SourceType.DONATION, amount="1234.56", received_on=timezone.localdate())
    html = client.get("/transparency/").content.decode()
    data = client.get("/api/fund/summary.json").json()
    for key in ("available", "committed", "paid"):
        amount = Decimal(data[key])
        assert f"¥{amount:,.2f}" in html, key
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    assert "长者助餐点" in html and "公众小额捐赠" in html


def test_the_dashboard_takes_the_same_queries_for_5_and_25_grants(client, staff):
    def count():
        with CaptureQueriesContext(connection) as q:
            assert client.get("/transparency/").status_code == 200
        return len(q)

    for _ in range(5):
        funded(staff)
    few = count()
    for _ in range(20):
        funded(staff)
    assert count() == few


def test_the_directory_finds_chinese_words_inside_titles(client, staff):
    funded(staff, title="长者助餐点", summary="为独居老人供餐")
    funded(staff, title="河道守护行动", summary="清理河道垃圾")
    html = client.get("/funded/", {"q": "助餐"}).content.decode()
    assert "长者助餐点" in html and "河道守护行动" not in html
    html = client.get("/funded/", {"q": "河道 垃圾"}).content.decode()
    assert "河道守护行动" in html and "长者助餐点" not in html


def test_the_directory_filters_and_pages(client, staff):
    theme = ThemeFactory(code="river", name="河道")
    for i in range(23):
        funded(staff, title=f"项目{i:02d}")
    funded(staff, title="河道项目", problem__theme=theme)
    first = client.get("/funded/").content.decode()
    assert "共 24 个项目" in first
    assert "page=2" in first
    assert "河道项目" in client.get("/funded/", {"theme": "river"}).content.decode()
    assert "项目00" not in client.get("/funded/", {"theme": "river"}).content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"page": "999"},
        {"page": "-1"},
        {"page": "abc"},
        {"year": "20x6"},
        {"year": "99999"},
        {"status": "draft"},
        {"theme": "<script>"},
        {"q": "<img src=x onerror=alert(1)>"},
        {"q": "x" * 500},
    ],
)
def test_bad_directory_parameters_never_fail(client, staff, params):
    funded(staff, title="长者助餐点")
    response = client.get("/funded/", params)
    assert response.status_code == 200
    assert "<img src=x onerror" not in response.content.decode()


def test_the_directory_takes_the_same_queries_for_5_and_25_grants(client, staff):
    def count():
        with CaptureQueriesContext(connection) as q:
            assert client.get("/funded/").status_code == 200
        return len(q)

    for _ in range(5):
        funded(staff)
    few = count()
    for _ in range(20):
        funded(staff)
    assert count() == few


def test_titles_with_markup_are_escaped_on_public_pages(client, staff):
    funded(staff, title='<script>alert(1)</script><a href="javascript:x">x</a>')
    for url in ("/funded/", "/transparency/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and 'href="javascript:' not in html


def test_no_public_response_carries_personal_data(client, staff, settings):
    """Seed every kind of personal data the system holds, then search every public response."""
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    group = GroupFactory(leader_name="负责人欧阳娜", leader_phone="13700001111", member_list="成员司马青 9栋")
    project = funded(staff, title="长者助餐点", group=group)
    leader = group.memberships.get().user
    notice = put_in_state(ApplicationFactory(title="公示中项目"), Status.ON_NOTICE)
    Objection.objects.create(application=notice, name="异议人公孙策", contact="13600002222", text="异议")
    Feedback.objects.create(application=project, rating=4, comment="", source="hash-of-10.1.2.3")
    anonymous = donation_services.donation_start(
        amount="50.00", display_name="匿名者诸葛亮", anonymous=True, email="secret-donor@example.invalid"
    )
    from fundpool.models import Donation

    Donation.objects.filter(pk=anonymous.pk).update(stripe_session_id="cs_test_private")
    stripe_events.event_receive(
        {
            "id": "evt_test_private",
            "type": "checkout.session.completed",
            "created": 1,
            "data": {
                "object": {
                    "id": "cs_test_private",
                    "amount_total": 5000,
                    "currency": "cny",
                    "payment_status": "paid",
                    "client_reference_id": str(anonymous.pk),
                }
            },
        }
    )
    secrets = [
        "负责人欧阳娜",
        "13700001111",
        "成员司马青",
        leader.email,
        "异议人公孙策",
        "13600002222",
        "hash-of-10.1.2.3",
        "匿名者诸葛亮",
        "secret-donor@example.invalid",
    ]
    urls = [
        "/",
        "/calls/",
        "/notice/",
        "/funded/",
        "/funded/?q=助餐",
        "/transparency/",
        "/donate/",
        "/open-data/360giving.json",
        "/open-data/360giving.csv",
        "/api/fund/summary.json",
        f"/feedback/{project.pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8-sig")
        leaked = [s for s in secrets if s in body]
        assert not leaked, (url, leaked)


def test_visitors_switch_between_chinese_and_english(client):
    page = client.get("/funded/").content.decode()
    assert "资助项目" in page and "/language/en/" in page
    response = client.get("/language/en/", {"next": "/funded/"})
    assert response.status_code == 302 and response["Location"] == "/funded/"
    page = client.get("/funded/").content.decode()
    assert "Funded projects" in page and "/language/zh-hans/" in page
    assert client.get("/language/en/", {"next": "https://evil.example/"})["Location"] == "/"


def test_the_dashboard_traces_the_newest_20_grants_and_links_to_all(client, staff):
    for i in range(21):
        funded(staff, title=f"项目{i:02d}")
    html = client.get("/transparency/").content.decode()
    assert html.count('<article class="trace">') == 20
    assert "项目20" in html and "项目00" not in html  # the newest first; the oldest is in the directory
    assert 'href="/funded/">全部资助项目</a> (21)' in html


def test_the_dashboard_is_cached_until_the_ledger_changes(client, staff):
    funded(staff, title="长者助餐点")
    client.get("/transparency/")
    with CaptureQueriesContext(connection) as q:
        client.get("/transparency/")
    cached_queries = len(q)
    ledger_services.inflow_record(source_type=SourceType.DONATION, amount="777.00", received_on=timezone.localdate())
    with CaptureQueriesContext(connection) as q:
        html = client.get("/transparency/").content.decode()
    assert len(q) > cached_queries  # recomputed after the new entry
    data = client.get("/api/fund/summary.json").json()
    assert f"¥{Decimal(data['available']):,.2f}" in html


def test_on_a_busy_day_ledger_entries_refresh_the_dashboard_at_most_once_a_window(client, staff, settings):
    from django.core.cache import cache

    settings.PUBLIC_LEDGER_WINDOW = 60
    funded(staff, title="长者助餐点")
    cache.clear()

    def available():
        from fundpool.ledger.selectors import pool_summary

        return f"¥{pool_summary()['available']:,.2f}"

    def gift(amount):
        ledger_services.inflow_record(source_type=SourceType.DONATION, amount=amount, received_on=timezone.localdate())

    gift("100.00")  # the first entry after a quiet spell shows at once
    html = client.get("/transparency/").content.decode()
    assert available() in html
    gift("200.00")  # within the window: the page keeps its figures
    assert client.get("/transparency/").content.decode() == html and available() not in html
    cache.delete("public:ledger-quiet")  # the window has passed: the next visitor's request refreshes
    client.get("/transparency/")
    assert available() in client.get("/transparency/").content.decode()


def test_signed_in_people_never_get_the_visitors_cached_page(client, staff):
    funded(staff, title="长者助餐点")
    assert "登录" in client.get("/funded/").content.decode()  # cached for visitors
    client.force_login(staff)
    page = client.get("/funded/").content.decode()
    assert "退出" in page


def test_the_impact_page_shows_what_small_gifts_funded(client, staff):
    funded(staff, title="长者助餐点")  # funded from donation money in the set-up
    html = client.get("/impact/").content.decode()
    assert "长者助餐点" in html and "¥9,000.00" in html


def projects_under_way(call, group, n):
    """`n` funded projects in delivery (¥5,000 each), by one bulk insert."""
    from grants.models import Application

    Application.objects.bulk_create(
        Application(
            call=call,
            group=group,
            title=f"项目{i}",
            status=Status.IN_DELIVERY,
            requested_amount=5000,
            awarded_amount=5000,
        )
        for i in range(n)
    )


def test_directory_and_home_queries_do_not_grow_from_10_to_1000_grants(client):
    from django.core.cache import cache

    from .factories import CallFactory, GroupFactory

    call, group = CallFactory(), GroupFactory()

    def add(n):
        projects_under_way(call, group, n)

    def count(url):
        cache.clear()
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        return len(q)

    add(10)
    few = {url: count(url) for url in ("/", "/funded/", "/funded/?q=项目", "/transparency/", "/impact/")}
    add(990)
    assert {url: count(url) for url in few} == few


def test_the_directory_caches_one_page_of_projects_however_many_there_are(client, monkeypatch):
    import pickle

    from cms import cache as public_cache
    from grants.models import Application

    from .factories import CallFactory, GroupFactory

    call, group = CallFactory(), GroupFactory()
    stored = []
    real = public_cache.cached

    def keep(name, compute, timeout=3600):
        stored.append(real(name, compute, timeout))
        return stored[-1]

    monkeypatch.setattr(public_cache, "cached", keep)

    def cached_size(total):
        projects_under_way(call, group, total - Application.objects.count())
        public_cache.bump()
        html = client.get("/funded/?page=2").content.decode()
        page = stored[-1]
        assert len(page.object_list) == 20 and page.paginator.count == total
        assert f"2 / {-(-total // 20)}" in html
        return len(pickle.dumps(page))

    few = cached_size(45)
    assert cached_size(445) < few * 1.1
