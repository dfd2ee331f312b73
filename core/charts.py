"""Charts drawn as SVG on the server, so the same chart goes on a page and into a PDF. Plain SVG with
no script and no external reference; every label is escaped; sizes in user units scale with the
container. Amounts are Decimals; only the drawing coordinates are floats. Amounts are written with
the caller's `fmt` (the fund's money format), plain grouped figures without one."""

from __future__ import annotations

from decimal import Decimal
from html import escape


def _plain(amount: Decimal) -> str:
    return f"{amount:,.2f}"


PALETTE = ["#c0392b", "#2e86ab", "#f39c12", "#27ae60", "#8e44ad", "#16a085", "#7f8c8d", "#d35400"]
FONT = "font-family=\"'WenQuanYi Micro Hei','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif\""


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" {FONT} font-size="13">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def hbar(
    rows: list[tuple[str, Decimal]], *, title: str, width: int = 360, order: list[str] | None = None, fmt=_plain
) -> str:
    """Horizontal bars, one per (label, amount), with the amount written beside each bar."""
    rows = [(label, amount) for label, amount in rows]
    top = max((a for _l, a in rows), default=Decimal(0)) or Decimal(1)
    label_w, bar_h, gap = 110, 20, 12
    height = max(len(rows), 1) * (bar_h + gap) + gap
    body = []
    for i, (label, amount) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = float(amount / top) * (width - label_w - 10) if amount > 0 else 0
        body.append(f'<text x="0" y="{y + 14}" fill="#333">{escape(str(label)[:24])}</text>')
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{colour_for(label, order) if order else PALETTE[i % len(PALETTE)]}"/>'
        )
        body.append(
            f'<text x="{label_w + 4}" y="{y + bar_h + 10}" font-size="10" fill="#555">{escape(fmt(amount))}</text>'
        )
    if not rows:
        body.append('<text x="0" y="20" fill="#777">—</text>')
    return _svg(width, height + 6, body, title)


def columns(
    months: list[str],
    series: dict[str, list[Decimal]],
    *,
    title: str,
    width: int = 360,
    order: list[str] | None = None,
    fmt=_plain,
) -> str:
    """Stacked columns per month, one colour per series (e.g. source type), with a legend."""
    height, left, bottom, top_pad = 200, 8, 24, 8
    totals = [sum((series[s][i] for s in series), Decimal(0)) for i in range(len(months))]
    top = max(totals, default=Decimal(0)) or Decimal(1)
    n = max(len(months), 1)
    slot = (width - left) / n
    col_w = min(max(slot * 0.7, 2), 40)
    body = []
    for i, month in enumerate(months):
        x = left + i * slot + (slot - col_w) / 2
        y = height - bottom
        for name in series:
            value = series[name][i]
            if value <= 0:
                continue
            h = float(value / top) * (height - bottom - top_pad)
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" fill="{colour_for(name, order)}">'
                f"<title>{escape(month)} {escape(name)} {escape(fmt(value))}</title></rect>"
            )
        body.append(
            f'<text x="{x + col_w / 2:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="#555">{escape(month[2:])}</text>'
        )
    legend_y = height + 8
    for k, name in enumerate(series):
        lx = (k % 3) * (width / 3)
        ly = legend_y + (k // 3) * 18
        body.append(f'<rect x="{lx:.1f}" y="{ly}" width="10" height="10" fill="{colour_for(name, order)}"/>')
        body.append(f'<text x="{lx + 14:.1f}" y="{ly + 9}" font-size="11" fill="#333">{escape(str(name)[:14])}</text>')
    rows_of_legend = (len(series) + 2) // 3
    return _svg(width, height + 14 + rows_of_legend * 18, body, title)


def colour_for(label: str, order: list[str] | None = None) -> str:
    """The same colour for the same label in every chart (source types in their fixed order)."""
    if order and label in order:
        return PALETTE[order.index(label) % len(PALETTE)]
    return PALETTE[sum(map(ord, str(label))) % len(PALETTE)]


def stacked_bar(
    parts: list[tuple[str, Decimal]], *, title: str, width: int = 360, order: list[str] | None = None, fmt=_plain
) -> str:
    """One bar split into parts (e.g. a grant's funding by source type), with shares in a legend.
    `order` fixes each label's colour, so a colour means the same source in every bar."""
    total = sum((a for _l, a in parts), Decimal(0)) or Decimal(1)
    body, x = [], 0.0
    for label, amount in parts:
        w = float(amount / total) * width
        body.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="18" fill="{colour_for(label, order)}">'
            f"<title>{escape(str(label))} {escape(fmt(amount))}</title></rect>"
        )
        x += w
    for k, (label, amount) in enumerate(parts):
        share = int(round(amount * 100 / total))
        ly = 30 + k * 16
        body.append(f'<rect x="0" y="{ly - 9}" width="10" height="10" fill="{colour_for(label, order)}"/>')
        body.append(
            f'<text x="14" y="{ly}" font-size="11" fill="#333">{escape(str(label))} {share}% · {escape(fmt(amount))}</text>'
        )
    return _svg(width, 30 + len(parts) * 16, body, title)
