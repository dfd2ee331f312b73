"""A call's exports as CSV and XLSX: reviews with their scores, payments with references,
expenses with links to their receipts; formula-like text stays text."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from grants.lifecycle import Status
from grants.models import Review, ReviewAssignment

from .conftest import put_in_state
from .test_delivery import sign, spend

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(application, staff):
    return sign(put_in_state(application, Status.AWARDED), staff)


@pytest.fixture
def paid_project(project, leader):
    spend(project, leader, "100.00", payee='=HYPERLINK("http://evil")')
    return project


def _rows(response, fmt):
    data = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(data)).active
    return [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_payments_and_expenses_exports(paid_project, staff, client, fmt):
    client.force_login(staff)
    call = paid_project.call
    payments = _rows(client.get(reverse("grants_admin:call_export", args=[call.pk, "payments", fmt])), fmt)
    first = paid_project.tranches.get(number=1)
    assert [str(paid_project.pk), paid_project.title, "1"] == payments[1][:3]
    assert first.payment_reference in payments[1]
    assert payments[0][-1] == "会计科目" and payments[1][-1] == "业务活动成本"
    expenses = _rows(client.get(reverse("grants_admin:call_export", args=[call.pk, "expenses", fmt])), fmt)
    payee = expenses[1][5]
    assert payee.startswith("'=")  # a formula stays text
    assert expenses[1][7].endswith(reverse("grants:receipt", args=[paid_project.expenses.get().pk]))


def test_the_reviews_export_has_a_column_per_criterion(project, staff, client, reviewer):
    call = project.call
    assignment = ReviewAssignment.objects.create(application=project, reviewer=reviewer)
    Review.objects.create(assignment=assignment, recommendation="fund", weighted_total="82.50")
    client.force_login(staff)
    rows = _rows(client.get(reverse("grants_admin:call_export", args=[call.pk, "reviews", "xlsx"])), "xlsx")
    criteria = [c.name for c in call.criteria.all()]
    assert rows[0][6 : 6 + len(criteria)] == criteria
    assert rows[1][-2] == "82.50"


def test_exports_are_for_the_fund_only(project, client):
    client.force_login(project.group.memberships.get().user)
    response = client.get(reverse("grants_admin:call_export", args=[project.call.pk, "payments", "csv"]))
    assert response.status_code in (302, 403)
