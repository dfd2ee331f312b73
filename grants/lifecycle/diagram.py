"""The lifecycle drawn from its table (steps.py): DOT for Graphviz, Mermaid for Markdown, SVG via `dot`."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

from django.utils import translation

from .states import STATES, Status
from .steps import FLAGS, STEPS


def _edges() -> list[tuple[str, str, str]]:
    """(source, target, step) for every step of the table, as the state machine has them."""
    return sorted({(source, step.target, step.name) for step in STEPS.values() for source in step.source})


PHASE_COLOURS = {
    "application": "#e8f1fb",
    "review": "#fdf3e1",
    "award": "#e9f7ef",
    "delivery": "#f3e9f7",
    "report": "#eaf4f4",
}


def to_dot() -> str:
    with translation.override("zh-hans"):
        lines = [
            "digraph lifecycle {",
            '  rankdir=LR; bgcolor="white";',
            '  node [shape=box, style="rounded,filled", fontname="WenQuanYi Micro Hei", fontsize=11];',
            '  edge [fontname="WenQuanYi Micro Hei", fontsize=9, color="#52606d"];',
        ]
        for state in STATES:
            label = f"{state.staff_label}\\n{state.value}"
            shape = ", peripheries=2" if state.final else ""
            lines.append(f'  {state.value} [label="{label}", fillcolor="{PHASE_COLOURS[state.phase]}"{shape}];')
        for source, target, name in _edges():
            info = STEPS[name]
            lines.append(f'  {source} -> {target} [label="{info.label}"];')
        # Flags stand beside states: a note, joined by dotted lines to the states it may stand in.
        for flag in FLAGS.values():
            lines.append(
                f'  flag_{flag.name} [shape=note, style="filled", fillcolor="#fff8dc", label="{flag.label}\\n{flag.note}"];'
            )
            for state in flag.states:
                lines.append(f"  flag_{flag.name} -> {state} [style=dotted, arrowhead=none, constraint=false];")
        lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid() -> str:
    with translation.override("zh-hans"):
        lines = ["stateDiagram-v2"]
        for state in STATES:
            lines.append(f"    {state.value}: {state.staff_label} ({state.value})")
        lines.append(f"    [*] --> {Status.DRAFT}")
        for source, target, name in _edges():
            lines.append(f"    {source} --> {target}: {STEPS[name].label}")
        for state in STATES:
            if state.final:
                lines.append(f"    {state.value} --> [*]")
        for flag in FLAGS.values():
            states = "、".join(flag.states)
            lines.append(f"    note right of {flag.states[0]}: {flag.label}: {flag.note} ({states})")
    return "\n".join(lines) + "\n"


def to_steps_table() -> str:
    """Each step as Markdown: who may take it (its permission), whether it needs a reason, and who
    reads that reason (the lifecycle table's `reason_audience`)."""
    with translation.override("zh-hans"):
        lines = [
            "| step | 中文 | who (permission) | reason | who reads the reason | effects |",
            "|---|---|---|---|---|---|",
        ]
        for info in STEPS.values():
            reason = "required" if info.reason_required else "optional"
            readers = (
                "the group (its timeline and the status email) and fund staff"
                if info.reason_for_group
                else "fund staff only (internal: never on the group's pages or in its emails)"
            )
            effects = ", ".join(f"`{e}`" for e in info.effects) or "—"
            lines.append(
                f"| `{info.name}` | {info.label} | `{info.permission.__name__}` | {reason} | {readers} | {effects} |"
            )
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def to_svg() -> str | None:
    """SVG drawn by Graphviz's `dot`, or None where it isn't installed."""
    dot = shutil.which("dot")
    if not dot:
        return None
    result = subprocess.run([dot, "-Tsvg"], input=to_dot().encode(), capture_output=True, timeout=30, check=False)
    if result.returncode != 0:
        return None
    svg = result.stdout.decode()
    return svg[svg.index("<svg") :] if "<svg" in svg else None
