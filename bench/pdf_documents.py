"""PDF documents: the one-page acknowledgement, warm, beside a Latin-only page of the same layout
(same template and styles, Latin text and a Latin font); and the annual report with 1,000 grants
on a small database and for the busiest year of the large data set: seconds and peak memory.

    .venv/bin/python bench/pdf_documents.py
"""

import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "fundpool_bench_documents"
LARGE = "fundpool_bench_1m"


def median_seconds(fn, n=5):
    fn()  # warm: fonts loaded, caches filled
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def annual_on_large() -> dict:
    """The annual report of the large data set's busiest year, in this (fresh) process."""
    _common.use(LARGE)
    from django.db.models import Count
    from django.db.models.functions import ExtractYear

    from grants.models import Application
    from reports.annual import annual_context
    from reports.pdf import render_pdf

    busiest = (
        Application.objects.filter(status__in=["in_delivery", "completed"])
        .annotate(year=ExtractYear("call__opens_at"))
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    started = time.perf_counter()
    pdf = render_pdf("reports/annual_report.html", annual_context(busiest["year"]), title=f"{busiest['year']} 年度报告")
    return {
        "grants": busiest["n"],
        "year": busiest["year"],
        "seconds": time.perf_counter() - started,
        "kib": len(pdf) / 1024,
        "peak_mib": _common.peak_rss_mib(),
    }


def main():
    if "--annual-large" in sys.argv:
        import json

        print(json.dumps(annual_on_large()))
        return
    _common.prepare(NAME, "--size", "small", fresh=True)
    _common.use(NAME)
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import HTML

    from fundpool.models import Donation
    from grants.models import Application, Call, ResidentGroup
    from reports.annual import annual_context
    from reports.pdf import render_pdf, safe_fetcher

    gift = Donation(
        amount=Decimal("50.00"), display_name="小林", designation_label="为老服务", confirmed_at=timezone.now()
    )
    cjk = median_seconds(lambda: render_pdf("reports/acknowledgement.html", {"donation": gift}, title="捐赠确认书"))
    latin_gift = Donation(
        amount=Decimal("50.00"), display_name="Lin", designation_label="Elderly care", confirmed_at=timezone.now()
    )

    def latin():
        html = render_to_string(
            "reports/acknowledgement.html",
            {"donation": latin_gift, "doc_title": "Acknowledgement", "cjk_family": "DejaVu Sans"},
        )
        return HTML(
            string=html.replace("第 ", "Page ").replace(" 页 / 共 ", " of ").replace(" 页", ""),
            url_fetcher=safe_fetcher(),
        ).write_pdf()

    from django.utils import translation

    with translation.override("en"):
        lat = median_seconds(latin)
    ack_peak = _common.peak_rss_mib()

    call, group = Call.objects.first(), ResidentGroup.objects.first()
    Application.objects.bulk_create(
        [
            Application(
                call=call,
                group=group,
                title=f"社区项目{i}",
                status="in_delivery",
                requested_amount=5000,
                awarded_amount=5000,
            )
            for i in range(1000)
        ]
    )
    year = call.opens_at.year
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    pdf = render_pdf("reports/annual_report.html", annual_context(year), title=f"{year} 年度报告")
    annual_s = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grants = Application.objects.filter(status__in=["in_delivery", "completed"], call__opens_at__year=year).count()
    print(f"PDF documents ({_common.machine()})")
    print(
        f"acknowledgement, one page, warm: CJK {cjk * 1000:.0f} ms, Latin-only {lat * 1000:.0f} ms, ratio {cjk / lat:.2f} (goal <= 2)"
    )
    print(
        f"annual report, {grants} grants: {annual_s:.1f} s, {len(pdf) / 1024:.0f} KiB, peak RSS {peak / 1024:.0f} MiB (was {before / 1024:.0f} MiB before)"
    )
    import json
    import subprocess

    _common.prepare(LARGE, "--size", "large", min_postings=1_000_000)
    out = subprocess.run([sys.executable, __file__, "--annual-large"], capture_output=True, text=True, check=True)
    large = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"annual report {large['year']} on the large data set, {large['grants']:,} grants: {large['seconds']:.1f} s, "
        f"{large['kib']:.0f} KiB, peak RSS {large['peak_mib']:.0f} MiB"
    )
    _common.record(
        "pdf_documents",
        [
            _common.row(
                "acknowledgement PDF, CJK, warm",
                cjk * 1000,
                "ms",
                baseline=lat * 1000,
                baseline_label="Latin page",
                goal="ratio ≤ 2",
                met=cjk / lat <= 2,
                peak_mib=ack_peak,
            ),
            _common.row(
                f"annual report PDF, {grants:,} grants",
                annual_s,
                "s",
                peak_mib=peak / 1024,
                note=f"annual report {len(pdf) / 1024:.0f} KiB",
            ),
            _common.row(
                f"annual report PDF, large data set, {large['grants']:,} grants",
                large["seconds"],
                "s",
                peak_mib=large["peak_mib"],
                note=f"annual report {large['year']} of the large data set: {large['kib']:.0f} KiB "
                "(includes a full ledger_verify over 1,000,000 postings)",
            ),
        ],
    )


if __name__ == "__main__":
    main()
