"""Open data: every award in the 360Giving format, as JSON and as CSV. Public, cacheable, no names
of people."""

from __future__ import annotations

import csv
import io
import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from grants import open_data


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
@cache_control(public=True, max_age=300)
def giving_json(request):
    return JsonResponse(
        open_data.package_360(base_url=_base(request)), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )


@require_GET
@cache_control(public=True, max_age=300)
def giving_csv(request):
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    writer = csv.writer(out)
    writer.writerow([name for name, _get in open_data.CSV_COLUMNS])
    for grant in open_data.grants_360(base_url=_base(request)):
        writer.writerow([_safe(get(grant)) for _name, get in open_data.CSV_COLUMNS])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="360giving.csv"'
    return response


def _safe(value):
    # A cell a spreadsheet would run as a formula is kept as text.
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else value
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
