"""Latency percentiles per contender from bench/results/load.csv.

    python bench/plot.py [CSV] [PNG]

Draws p50, p90, p99, p99.9 and max (the median over the rounds of each)
for every label in the CSV, on a log µs axis, into
bench/results/latency.png. Needs matplotlib (bench/requirements.txt).
"""

import csv
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PERCENTILES = [("p50", "p50_us"), ("p90", "p90_us"), ("p99", "p99_us"), ("p99.9", "p999_us"), ("max", "max_us")]


def medians(rows):
    """label -> (rounds, [median per percentile], median calls/s), in CSV order."""
    out = {}
    for label in dict.fromkeys(row["label"] for row in rows):
        mine = [row for row in rows if row["label"] == label]
        values = [statistics.median(float(row[column]) for row in mine) for _, column in PERCENTILES]
        rate = statistics.median(float(row["calls_per_s"]) for row in mine)
        out[label] = (len(mine), values, rate)
    return out


def main():
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "load.csv"
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS / "latency.png"
    with open(source, newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        sys.exit(f"plot.py: no rows in {source}")
    figure, axes = plt.subplots(figsize=(8, 6))
    x = range(len(PERCENTILES))
    for label, (rounds, values, rate) in medians(rows).items():
        axes.plot(x, values, marker="o", label=f"{label} ({rate:,.0f} calls/s, {rounds} rounds)")
    axes.set_xticks(list(x), [name for name, _ in PERCENTILES])
    axes.set_yscale("log")
    axes.set_ylabel("latency (µs, log scale)")
    axes.set_xlabel("percentile (median over rounds)")
    axes.set_title("tools/call get_weather under load")
    axes.grid(True, which="both", axis="y", alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small")
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=120)
    print(f"plot.py: {target}")


if __name__ == "__main__":
    main()
