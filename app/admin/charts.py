"""Small server-side SVG charts for the dashboard (no JavaScript, nothing from a CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from app.admin.overview import GrowthPoint

WIDTH, HEIGHT = 720, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 12, 16, 36


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def growth_chart(points: Sequence[GrowthPoint], title: str) -> Markup:
    """Daily sign-ups as bars (right scale) under the running total as a line (left scale)."""
    if not points:
        return Markup("")
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    low = min(p.total - p.new for p in points)
    high = max(p.total for p in points)
    span = max(high - low, 1)
    top_new = _nice_max(max(p.new for p in points))
    step = plot_w / len(points)
    bar_w = max(step * 0.7, 1.0)

    def y_total(value: int) -> float:
        return PAD_TOP + plot_h - (value - low) / span * plot_h

    bars = []
    line = []
    for index, point in enumerate(points):
        x = PAD_LEFT + index * step
        height = point.new / top_new * plot_h * 0.5
        label = f"{point.day.isoformat()}: {point.new} new, {point.total} in total"
        left, top = x + (step - bar_w) / 2, PAD_TOP + plot_h - height
        bars.append(
            f'<rect class="bar" x="{left:.1f}" y="{top:.1f}"'
            f' width="{bar_w:.1f}" height="{height:.1f}"><title>{escape(label)}</title></rect>'
        )
        line.append(f"{x + step / 2:.1f},{y_total(point.total):.1f}")
    first, last = points[0], points[-1]
    axis_y = PAD_TOP + plot_h
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}: {last.total} subscribers, '
        f'{sum(p.new for p in points)} new in {len(points)} days" '
        ">"
        f"<title>{escape(title)}</title>"
        f'<line class="axis" x1="{PAD_LEFT}" y1="{axis_y}" x2="{WIDTH - PAD_RIGHT}" y2="{axis_y}"/>'
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{PAD_TOP + 10}" text-anchor="end">{high}</text>'
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{axis_y}" text-anchor="end">{low}</text>'
        + "".join(bars)
        + f'<polyline class="line" points="{" ".join(line)}"/>'
        f'<text class="tick" x="{PAD_LEFT}" y="{HEIGHT - 8}">{first.day:%b %d}</text>'
        f'<text class="tick" x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 8}" text-anchor="end">'
        f"{last.day:%b %d}</text>"
        "</svg>"
    )
    return Markup(svg)  # noqa: S704 - every interpolated text is escaped above
