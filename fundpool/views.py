from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .selectors import pool_summary


def _amount(value) -> str:
    return f"{value:.2f}"


@require_GET
@cache_control(public=True, max_age=30)
def summary_json(request):
    """The pool in figures, public: no names of anyone, only totals."""
    s = pool_summary()
    return JsonResponse(
        {
            "currency": s["currency"],
            "as_of": timezone.localtime(s["as_of"]).isoformat(),
            "received": {k: _amount(v) for k, v in s["received"].items()},
            "pledged_outstanding": _amount(s["pledged_outstanding"]),
            "available": _amount(s["available"]),
            "committed": _amount(s["committed"]),
            "paid": _amount(s["paid"]),
            "by_restriction": [
                {"kind": r["kind"], "theme": r["theme"], "call": r["call"], "available": _amount(r["available"])}
                for r in s["by_restriction"]
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
