"""Importing gifts from a fundraising platform or a bank statement: every row checked first,
idempotent per row reference, Chinese number and date formats, all-or-nothing unless asked."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from fundpool.donations import imports as donation_imports
from fundpool.donations import services as donation_services
from fundpool.ledger.verify import verify
from fundpool.models import Donation, ImportBatch, Inflow, SourceType

pytestmark = pytest.mark.django_db

# Gifts of last September: always in the past, whatever today is.
Y = timezone.localdate().year - 1

PLATFORM = f"""订单号,捐赠时间,金额,捐赠人,是否匿名,留言
P-001,{Y}-09-09 10:01:02,"1,200.00",张三,否,加油
P-002,{Y}年9月9日,５０,李四,是,
P-003,{Y}/09/10,￥88.8,,否,
P-004,{Y}0911,99元,王五,,
"""

BANK = f"""交易流水号,交易日期,借方金额,贷方金额,对方户名,摘要
B-1,{Y}.09.09,,300.00,江州市某某科技有限公司,捐赠
B-2,{Y}.09.09,15.00,,,手续费
B-3,{Y}.09.10,,1000,赵六,九九公益日
"""


def preview(text, channel="platform", encoding="utf-8"):
    return donation_imports.import_preview(channel=channel, data=text.encode(encoding))


def test_a_platform_export_is_read_with_chinese_formats():
    p = preview(PLATFORM)
    assert not p.invalid and len(p.valid) == 4
    assert [r.amount for r in p.valid] == [Decimal("1200.00"), Decimal("50.00"), Decimal("88.80"), Decimal("99.00")]
    assert [r.received_on.isoformat() for r in p.valid] == [f"{Y}-09-09", f"{Y}-09-09", f"{Y}-09-10", f"{Y}-09-11"]
    assert [r.anonymous for r in p.valid] == [False, True, False, False]


def test_importing_twice_adds_nothing_the_second_time():
    batch = donation_imports.donations_import(preview=preview(PLATFORM))
    assert (batch.imported, batch.total) == (4, Decimal("1437.80"))
    again = donation_imports.donations_import(preview=preview(PLATFORM))
    assert (again.imported, again.skipped) == (0, 4)
    assert Inflow.objects.filter(source_type=SourceType.DONATION).count() == 4
    anonymous = Donation.objects.get(import_ref="platform:P-002")
    assert anonymous.anonymous and anonymous.inflow.anonymous
    assert verify().ok


def test_a_bank_statement_in_gb18030_imports_only_credits():
    p = preview(BANK, channel="bank", encoding="gb18030")
    assert [r.reference for r in p.valid] == ["B-1", "B-3"]
    donation_imports.donations_import(preview=p)
    assert sorted(d.amount for d in Donation.objects.all()) == [Decimal("300.00"), Decimal("1000.00")]


BAD = f"""订单号,捐赠时间,金额,捐赠人
P-1,{Y}-09-09,100,甲
P-1,{Y}-09-09,100,乙
P-2,{Y}-13-40,100,丙
P-3,{Y + 3}-01-01,100,丁
P-4,{Y}-09-09,12.345,戊
P-5,{Y}-09-09,-3,己
P-6,{Y}-09-09,1,0.00,庚
,{Y}-09-09,5,辛
P-7,昨天,5,壬
P-8,{Y}-09-09,abc,癸
"""


def test_every_bad_row_is_explained_and_nothing_is_written():
    p = preview(BAD)
    errors = {r.line: " ".join(str(e) for e in r.errors) for r in p.invalid}
    assert "出现了两次" in errors[3]
    assert "不是有效日期" in errors[4]
    assert "未来" in errors[5]
    assert "2 位小数" in errors[6]
    assert "负数" in errors[7]
    assert "流水号" in errors[9]
    assert "不是日期" in errors[10]
    assert "不是数字" in errors[11]
    with pytest.raises(donation_services.DonationError, match="行存在错误"):
        donation_imports.donations_import(preview=p)
    assert not Donation.objects.exists() and not ImportBatch.objects.exists()


def test_staff_may_import_only_the_valid_rows():
    batch = donation_imports.donations_import(preview=preview(BAD), only_valid=True)
    assert batch.imported == 2 and batch.rejected >= 8  # P-1 (first) and P-6 (whose stray column is ignored)
    assert set(Donation.objects.values_list("import_ref", flat=True)) == {"platform:P-1", "platform:P-6"}


@pytest.mark.parametrize(
    "data, message",
    [(b"", "为空"), (b"a,b,c\n1,2,3\n", "找不到以下列"), (b"\xff\xfe\x00\x00garbage\x80\x81", "")],
)
def test_files_that_are_not_exports_are_refused(data, message):
    p = donation_imports.import_preview(channel="platform", data=data)
    assert p.problems and message in str(p.problems[0])


def test_the_command_checks_then_imports(tmp_path, capsys):
    path = tmp_path / "platform.csv"
    path.write_text(PLATFORM, encoding="utf-8-sig")
    call_command("import_donations", str(path), "--format", "platform", "--dry-run")
    assert "4 valid row(s)" in capsys.readouterr().out and not Donation.objects.exists()
    call_command("import_donations", str(path), "--format", "platform")
    assert Donation.objects.count() == 4
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_donations", str(bad), "--format", "platform")
    assert Donation.objects.count() == 4


def test_the_admin_page_previews_then_imports(client, finance):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(finance)
    url = reverse("importbatch:add")
    page = client.post(
        url, {"channel": "platform", "action": "preview", "file": SimpleUploadedFile("p.csv", PLATFORM.encode())}
    )
    html = page.content.decode()
    assert page.status_code == 200 and "P-004" in html and not Donation.objects.exists()
    carried = page.context["form"].initial
    response = client.post(
        url, {"channel": "platform", "action": "import", "data": carried["data"], "filename": "p.csv"}
    )
    assert response.status_code == 302 and Donation.objects.count() == 4


def test_people_without_the_permission_cannot_import(client):
    from ..factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("importbatch:add")).status_code in (302, 403)
