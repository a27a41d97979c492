"""Accessible server-side SVG charts (pure): readable without JavaScript, each with a title,
a description and a data table beside it on the page. Patterns as well as colours tell the
series apart, so the charts survive greyscale printing and colour blindness."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

SERIES_STYLE = (
    ("#1f5fbf", ""),  # solid blue
    ("#c77700", "url(#hatch)"),  # orange, hatched
    ("#2e7d32", "url(#dots)"),  # green, dotted
    ("#6a1b9a", ""),
)
_PATTERNS = (
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#c77700"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/>'
    '</pattern><pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#2e7d32"/><circle cx="3" cy="3" r="1.3" fill="#fff"/></pattern></defs>'
)


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
                 width: int = 640) -> Markup:
    """Horizontal stacked bars, one row per label, one segment per series."""
    row_height, gap, left, top = 26, 10, 170, 34
    height = top + len(labels) * (row_height + gap) + 40
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    scale = (width - left - 60) / max(max(totals, default=0), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-labelledby="t d"><title id="t">{escape(title)}</title>'
             f'<desc id="d">{escape(_describe(labels, series))}</desc>{_PATTERNS}'
             f'<text x="0" y="18" font-size="15" font-weight="600" fill="#1d2330">{escape(title)}</text>']
    for row, label in enumerate(labels):
        y = top + row * (row_height + gap)
        parts.append(f'<text x="{left - 8}" y="{y + 18}" font-size="13" text-anchor="end" fill="#1d2330">'
                     f'{escape(label)}</text>')
        x = float(left)
        for index, (name, values) in enumerate(series):
            value = values[row]
            if value <= 0:
                continue
            colour, pattern = SERIES_STYLE[index % len(SERIES_STYLE)]
            w = value * scale
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_height}" fill="{pattern or colour}" '
                         f'stroke="#fff"><title>{escape(label)}: {escape(name)} {value}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 18}" font-size="13" fill="#1d2330">{totals[row]}</text>')
    legend_y = height - 16
    x = float(left)
    for index, (name, _values) in enumerate(series):
        colour, pattern = SERIES_STYLE[index % len(SERIES_STYLE)]
        parts.append(f'<rect x="{x:.0f}" y="{legend_y - 11}" width="14" height="14" fill="{pattern or colour}"/>'
                     f'<text x="{x + 19:.0f}" y="{legend_y}" font-size="13" fill="#1d2330">{escape(name)}</text>')
        x += 30 + 8 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_map(title: str, rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[int]],
             column_titles: Sequence[str] | None = None) -> Markup:
    """A table-like grid: darker cells hold larger counts; every cell also prints its number."""
    cell, left, top = 44, 190, 40
    width = left + len(columns) * cell + 10
    height = top + len(rows) * cell + 10
    peak = max((v for row in cells for v in row), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-labelledby="ht hd"><title id="ht">{escape(title)}</title>'
             f'<desc id="hd">{escape(title)}: rows {escape(", ".join(rows))}; columns '
             f'{escape(", ".join(columns))}.</desc>'
             f'<text x="0" y="18" font-size="15" font-weight="600" fill="#1d2330">{escape(title)}</text>']
    for c, name in enumerate(columns):
        tip = escape(column_titles[c]) if column_titles else escape(name)
        parts.append(f'<text x="{left + c * cell + cell / 2}" y="{top - 6}" font-size="12" text-anchor="middle" '
                     f'fill="#1d2330">{escape(name)}<title>{tip}</title></text>')
    for r, name in enumerate(rows):
        y = top + r * cell
        parts.append(f'<text x="{left - 8}" y="{y + cell / 2 + 4}" font-size="12" text-anchor="end" '
                     f'fill="#1d2330">{escape(name)}</text>')
        for c, value in enumerate(cells[r]):
            share = value / peak
            fill = f"rgba(163, 32, 32, {0.08 + 0.82 * share:.2f})" if value else "#f5f6f8"
            ink = "#fff" if share > 0.55 else "#1d2330"
            parts.append(f'<rect x="{left + c * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}"/>'
                         f'<text x="{left + c * cell + cell / 2 - 1}" y="{y + cell / 2 + 4}" font-size="13" '
                         f'text-anchor="middle" fill="{ink}">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> str:
    rows = []
    for i, label in enumerate(labels):
        rows.append(f"{label}: " + ", ".join(f"{name} {values[i]}" for name, values in series))
    return "; ".join(rows)
