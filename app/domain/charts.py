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


_LINE_COLOURS = ("#1f5fbf", "#c77700", "#2e7d32", "#6a1b9a", "#a32020", "#00695c")
_DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2", "1 3")
_SHAPES = ("circle", "square", "triangle", "diamond", "down", "cross")


def _marker(shape: str, x: float, y: float, colour: str, tip: str) -> str:
    r = 5.0
    if shape == "circle":
        body = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}"'
    elif shape == "square":
        body = f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}"'
    else:
        points = {
            "triangle": ((0, -r - 1), (r + 1, r), (-r - 1, r)),
            "down": ((0, r + 1), (r + 1, -r), (-r - 1, -r)),
            "diamond": ((0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)),
            "cross": ((-r, -r), (r, r), (0, 0), (r, -r), (-r, r), (0, 0)),
        }[shape]
        body = '<polygon points="' + " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in points) + '"'
    stroke = f'stroke="{colour}" stroke-width="2"' if shape == "cross" else 'stroke="#fff"'
    return f'{body} fill="{colour}" {stroke}><title>{escape(tip)}</title>' + (
        "</circle>" if shape == "circle" else "</rect>" if shape == "square" else "</polygon>")


def stance_over_time(title: str, dates: Sequence[str],
                     series: Sequence[tuple[str, Sequence[tuple[int, int, int] | None]]],
                     width: int = 640) -> Markup:
    """Net stance per series (a target) and date: (favour - against) / claims taking a position
    (favour, against, neutral), from +1 (all favour) to -1 (all against). Points are
    ``(favour, against, neutral)`` counts or None; dates are evenly spaced, oldest first. Each
    series has its own marker shape and dash pattern as well as colour; every point's tooltip
    gives its counts, and the description lists every value."""
    left, top, plot_height, right = 92, 34, 160, 16
    legend_rows = (len(series) + 2) // 3
    height = top + plot_height + 34 + legend_rows * 22 + 8
    step = (width - left - right) / max(len(dates), 1)

    def x_of(i: int) -> float:
        return left + (i + 0.5) * step

    def y_of(net: float) -> float:
        return top + (1 - net) / 2 * plot_height

    described = []
    for name, points in series:
        values = [f"{dates[i]} {_net(p):+.2f} ({sum(p)} claims)" for i, p in enumerate(points)
                  if p is not None and _net(p) is not None]
        described.append(f"{name}: " + (", ".join(values) if values else "no claims"))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-labelledby="sot-t sot-d"><title id="sot-t">{escape(title)}</title>'
             f'<desc id="sot-d">{escape("; ".join(described))}</desc>'
             f'<text x="0" y="18" font-size="15" font-weight="600" fill="#1d2330">{escape(title)}</text>']
    for net, label in ((1.0, "favour +1"), (0.0, "neutral 0"), (-1.0, "against −1")):
        y = y_of(net)
        dotted = "" if net == 0 else ' stroke-dasharray="2 3"'
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#c5cad3" '
                     f'stroke-width="1"{dotted}/>'
                     f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="#1d2330">'
                     f'{label}</text>')
    if not dates:
        parts.append(f'<text x="{left + 8}" y="{y_of(0.5):.1f}" font-size="13" fill="#5b6475">'
                     'No dated claims with a stance.</text>')
    every = max(1, int(-(-70 // step)))  # at most one date label per 70 pixels
    for i, date in enumerate(dates):
        if i % every == 0:
            parts.append(f'<text x="{x_of(i):.1f}" y="{top + plot_height + 18}" font-size="11" text-anchor="middle" '
                         f'fill="#1d2330">{escape(date)}</text>')
    for index, (name, points) in enumerate(series):
        colour = _LINE_COLOURS[index % len(_LINE_COLOURS)]
        dash = _DASHES[index % len(_DASHES)]
        shape = _SHAPES[index % len(_SHAPES)]
        run: list[str] = []
        runs: list[list[str]] = []
        markers = []
        for i, point in enumerate(points):
            net = _net(point) if point is not None else None
            if net is None:
                if run:
                    runs.append(run)
                run = []
                continue
            x, y = x_of(i), y_of(net)
            run.append(f"{x:.1f},{y:.1f}")
            favour, against, neutral = point  # type: ignore[misc]
            markers.append(_marker(shape, x, y, colour, f"{name}, {dates[i]}: {favour} favour, {against} against, "
                                                        f"{neutral} neutral (net {net:+.2f})"))
        if run:
            runs.append(run)
        for line in runs:
            if len(line) > 1:
                parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{colour}" stroke-width="2"'
                             + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        parts.extend(markers)
        lx = left + (index % 3) * ((width - left) / 3)
        ly = top + plot_height + 40 + (index // 3) * 22
        parts.append(f'<line x1="{lx:.0f}" y1="{ly:.0f}" x2="{lx + 28:.0f}" y2="{ly:.0f}" stroke="{colour}" '
                     f'stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
                     + _marker(shape, lx + 14, ly, colour, name)
                     + f'<text x="{lx + 34:.0f}" y="{ly + 4:.0f}" font-size="13" fill="#1d2330">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _net(point: tuple[int, int, int] | None) -> float | None:
    if point is None:
        return None
    favour, against, neutral = point
    taking = favour + against + neutral
    return None if not taking else (favour - against) / taking
