"""Turns the runner's figures into the target verdicts, a markdown report and a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["chart", "markdown", "page", "targets"]

LABELS = {
    "ours-async": "anthropic-batches, async",
    "ours-sync": "anthropic-batches, sync",
    "official-async": "anthropic (official), async",
    "official-sync": "anthropic (official), sync",
    "httpx-bytes": "httpx async, bytes only (transport limit)",
    "httpx-bytes-sync": "httpx sync, bytes only (transport limit)",
    "httpx-json": "httpx + json.loads per line",
}


def _verdict(name: str, achieved: str, target: str, ok: bool) -> dict[str, Any]:
    return {"target": name, "wanted": target, "achieved": achieved, "holds": ok}


def targets(found: dict[str, Any]) -> list[dict[str, Any]]:
    """Each performance target that the figures can judge, and whether it holds."""
    out: list[dict[str, Any]] = []
    results = found.get("results", {})
    if results:
        sizes = sorted(results, key=int)
        big, small = results[sizes[-1]]["clients"], results[sizes[0]]["clients"]
        label = f"{int(sizes[-1]):,}"
        for ours, official in (("ours-async", "official-async"), ("ours-sync", "official-sync")):
            speedup = big[ours][f"speedup_vs_{official.replace('-', '_')}"]
            out.append(
                _verdict(
                    f"results {label}, {ours}: results/s vs {official}",
                    f"{speedup:.1f}x",
                    ">= 4x",
                    speedup >= 4,
                )
            )
            x = big[ours]["x_transport"]
            out.append(
                _verdict(
                    f"results {label}, {ours}: time vs transport limit",
                    f"{x:.1f}x",
                    "<= 3x",
                    x <= 3,
                )
            )
        if len(sizes) > 1:
            for ours in ("ours-async", "ours-sync"):
                growth = big[ours]["maxrss_mb"] - small[ours]["maxrss_mb"]
                out.append(
                    _verdict(
                        f"results, {ours}: peak RSS {label} minus {int(sizes[0]):,}",
                        f"{growth:+.1f} MB",
                        "<= 10 MB",
                        growth <= 10,
                    )
                )
        for ours, official in (("ours-async", "official-async"), ("ours-sync", "official-sync")):
            mine, theirs = big[ours]["maxrss_mb"], big[official]["maxrss_mb"]
            out.append(
                _verdict(
                    f"results {label}, {ours}: peak RSS vs {official}",
                    f"{mine:.0f} MB vs {theirs:.0f} MB",
                    "below",
                    mine < theirs,
                )
            )
    create = found.get("create", {})
    if create:
        size = max(create, key=int)
        rows = create[size]
        for ours, official in (("ours-async", "official-async"), ("ours-sync", "official-sync")):
            speedup = rows[ours][f"speedup_vs_{official.replace('-', '_')}"]
            out.append(
                _verdict(
                    f"create {int(size):,}, {ours}: time vs {official}",
                    f"{speedup:.1f}x faster",
                    ">= 3x",
                    speedup >= 3,
                )
            )
            share = rows[ours]["maxrss_mb"] / rows[official]["maxrss_mb"]
            out.append(
                _verdict(
                    f"create {int(size):,}, {ours}: peak RSS vs {official}",
                    f"{share:.0%}",
                    "<= 60%",
                    share <= 0.6,
                )
            )
    listing = found.get("list")
    if listing:
        rows = listing["clients"]
        for ours, official in (("ours-async", "official-async"), ("ours-sync", "official-sync")):
            speedup = rows[ours][f"speedup_vs_{official.replace('-', '_')}"]
            out.append(
                _verdict(
                    f"list {listing['batches']:,}, {ours}: time vs {official}",
                    f"{speedup:.1f}x faster",
                    ">= 3x",
                    speedup >= 3,
                )
            )
    wait = found.get("wait")
    if wait:
        ok = wait["max_sockets"] <= wait["pool_limit"] and wait["max_threads"] == 1
        out.append(
            _verdict(
                f"{wait['waits']:,} concurrent waits: connections and threads",
                f"{wait['max_sockets']} sockets (pool limit {wait['pool_limit']}), "
                f"{wait['max_threads']} thread(s)",
                "<= pool limit, 1 thread",
                ok,
            )
        )
    imports = found.get("import")
    if imports:
        out.append(
            _verdict(
                "import anthropic_batches vs import anthropic",
                f"{imports['ratio']:.2f}",
                "<= 0.25",
                imports["ratio"] <= 0.25,
            )
        )
    return out


def _f(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def markdown(found: dict[str, Any]) -> str:
    """The tables, as markdown."""
    parts: list[str] = []
    for size, block in found.get("results", {}).items():
        parts.append(
            f"### Results streaming, {int(size):,} results ({block['bytes'] / 1e6:.0f} MB)\n\n"
            "| client | time (s) | wall (s) | results/s | MB/s | peak RSS (MB) "
            "| vs official (same mode) | x transport limit |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|"
        )
        for client, row in block["clients"].items():
            mode = "sync" if client.endswith("-sync") else "async"
            speed = row.get(f"speedup_vs_official_{mode}")
            vs = "" if speed is None or client.startswith("official") else f"{speed:.1f}x"
            if client.startswith("httpx"):
                vs += f" ({mode})"
            parts.append(
                f"| {LABELS[client]} | {_f(row['seconds'])} | {_f(row['wall'])} "
                f"| {row['per_second']:,.0f} | {row['mb_per_second']:,.0f} "
                f"| {row['maxrss_mb']:.0f} | {vs} | {row['x_transport']:.1f}x |"
            )
        parts.append("")
    create = found.get("create", {})
    if create:
        parts.append(
            "### Create\n\n"
            "| requests | client | time (s) | wall (s) | requests/s | RSS before (MB) "
            "| peak RSS (MB) | vs official (same mode) |\n"
            "|---:|---|---:|---:|---:|---:|---:|---:|"
        )
        for size, rows in create.items():
            for client, row in rows.items():
                mode = "async" if client.endswith("async") else "sync"
                speed = row.get(f"speedup_vs_official_{mode}")
                vs = "" if speed is None or client.startswith("official") else f"{speed:.1f}x"
                parts.append(
                    f"| {int(size):,} | {LABELS[client]} | {_f(row['seconds'])} "
                    f"| {_f(row['wall'])} | {row['per_second']:,.0f} "
                    f"| {row['rss_before_mb']:.0f} | {row['maxrss_mb']:.0f} | {vs} |"
                )
        parts.append("")
    listing = found.get("list")
    if listing:
        parts.append(
            f"### List {listing['batches']:,} batches, limit={listing['limit']}\n\n"
            "| client | time (s) | wall (s) | batches/s | peak RSS (MB) "
            "| vs official (same mode) |\n|---|---:|---:|---:|---:|---:|"
        )
        for client, row in listing["clients"].items():
            mode = "async" if client.endswith("async") else "sync"
            speed = row.get(f"speedup_vs_official_{mode}")
            vs = "" if speed is None or client.startswith("official") else f"{speed:.1f}x"
            parts.append(
                f"| {LABELS[client]} | {_f(row['seconds'])} | {_f(row['wall'])} "
                f"| {row['per_second']:,.0f} | {row['maxrss_mb']:.0f} | {vs} |"
            )
        parts.append("")
    wait = found.get("wait")
    if wait:
        parts.append(
            f"### {wait['waits']:,} concurrent `wait()` calls in one event loop\n\n"
            f"Against the emulator (batches end {wait['process_seconds']:g} s after creation), "
            f"median of {wait['runs']} runs.\n\n"
            "| time (s) | polls | most sockets open | pool limit | most threads "
            "| peak RSS (MB) |\n|---:|---:|---:|---:|---:|---:|\n"
            f"| {_f(wait['seconds'])} | {wait['polls']:,.0f} | {wait['max_sockets']} "
            f"| {wait['pool_limit']} | {wait['max_threads']} | {wait['maxrss_mb']:.0f} |\n"
        )
    imports = found.get("import")
    if imports:
        s = imports["seconds"]
        parts.append(
            f"### Import time (fresh process, median of {imports['runs']})\n\n"
            "| module | seconds |\n|---|---:|\n"
            f"| `import anthropic_batches` | {s['anthropic_batches']:.3f} |\n"
            f"| `import anthropic` | {s['anthropic']:.3f} |\n"
            f"| ratio (paired) | {imports['ratio']:.2f} |\n"
        )
    verdicts = found.get("targets", [])
    if verdicts:
        parts.append("### Targets\n\n| target | wanted | achieved | holds |\n|---|---|---|---|")
        for v in verdicts:
            parts.append(
                f"| {v['target']} | {v['wanted']} | {v['achieved']} "
                f"| {'yes' if v['holds'] else '**no**'} |"
            )
        parts.append("")
    return "\n".join(parts) + "\n"


def chart(found: dict[str, Any], directory: Path) -> Path:
    """Draw results/s per client and size, and create times; return the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "benchmark.png"
    results = found.get("results", {})
    create = found.get("create", {})
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    clients = list(next(iter(results.values()))["clients"]) if results else []
    width = 0.8 / max(1, len(results))
    for i, (size, block) in enumerate(results.items()):
        values = [block["clients"][c]["per_second"] for c in clients]
        xs = [j + i * width for j in range(len(clients))]
        bars = ax.barh(xs, values, height=width, label=f"{int(size):,} results")
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=7, padding=2)
    ax.set_yticks([j + width * (len(results) - 1) / 2 for j in range(len(clients))])
    ax.set_yticklabels([LABELS[c] for c in clients], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("results per second (higher is better)")
    ax.set_title("Streaming results (every client counts types and sums tokens)")
    ax.legend(fontsize=8, loc="lower right")
    ax = axes[1]
    if create:
        cclients = list(next(iter(create.values())))
        width = 0.8 / len(create)
        for i, (size, rows) in enumerate(create.items()):
            values = [rows[c]["seconds"] for c in cclients]
            xs = [j + i * width for j in range(len(cclients))]
            bars = ax.barh(xs, values, height=width, label=f"{int(size):,} requests")
            ax.bar_label(bars, labels=[f"{v:.2f} s" for v in values], fontsize=7, padding=2)
        ax.set_yticks([j + width * (len(create) - 1) / 2 for j in range(len(cclients))])
        ax.set_yticklabels([LABELS[c].replace(", ", "\n") for c in cclients], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("seconds (lower is better)")
        ax.set_title("Create (validate, encode, send)")
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


#: What the figures alone do not say: why a target is missed and what limits it, written from
#: profiles of the suite's own clients. Appended to the docs page.
NOTES = Path(__file__).resolve().parent / "notes.md"

#: The jobs benchmark's section, from its last `python -m bench.jobs_memory --docs` run.
JOBS = Path(__file__).resolve().parent / "jobs.md"


def page(found: dict[str, Any], tables: str, chart_path: Path) -> str:
    """The docs page: how the figures were made, the chart, the tables, the notes."""
    m = found["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    return (
        "# Benchmarks\n\n"
        "<!-- Written by the benchmark suite (bench/). -->\n\n"
        f"Run on {found['started']} with `{found['command']}`: {m['cpu']}, {m['cores']} cores, "
        f"{m['memory']}, Python {m['python']} on {m['platform']}. Versions: {versions}. "
        f"Load average before and after: {found['load_before']} / {found['load_after']}.\n\n"
        f"![Benchmark chart](img/{chart_path.name})\n\n"
        f"{tables}\n"
        f"{JOBS.read_text() + chr(10) if JOBS.exists() else ''}"
        f"{NOTES.read_text()}"
    )
