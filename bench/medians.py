"""The medians of mcp-trace-loadgen's CSV rows, one Markdown row per label,
each with its p99 and CPU per call against the `off` run of its group (the
label `off`, or `off@RATE` for `NAME@RATE`, a paced run). `steal %` is the
machine's CPU time the hypervisor gave to other guests during the runs: a
high share means the neighbours were measured too; with `--max-steal PCT`
the rows above PCT are left out of every label alike, and `rounds` says how
many of each label's were kept.

    python3 bench/medians.py bench/results/load.csv
    python3 bench/medians.py --max-steal 2 bench/results/paced.csv
"""
import argparse
import csv
import statistics

COLUMNS = ["calls_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
           "server_cpu_us_per_call", "rss_max_mib", "steal_pct"]
ONE_DECIMAL = {"server_cpu_us_per_call", "rss_max_mib", "steal_pct"}


def median(rows, column):
    values = [float(row[column]) for row in rows if row.get(column)]
    return statistics.median(values) if values else None


def baseline(label):
    _, at, rate = label.partition("@")
    return "off" + at + rate


def calm(row, max_steal):
    steal = row.get("steal_pct")
    return max_steal is None or not steal or float(steal) <= max_steal


def main(path, max_steal):
    rows = list(csv.DictReader(open(path)))
    by_label, all_rounds = {}, {}
    for row in rows:
        all_rounds[row["label"]] = all_rounds.get(row["label"], 0) + 1
        if calm(row, max_steal):
            by_label.setdefault(row["label"], []).append(row)
    print("| contender | rounds | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs "
          "| server CPU µs/call | RSS max MiB | steal % | errors | p99 / off's | CPU / off's |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label in all_rounds:
        mine = by_label.get(label, [])
        cells = []
        for column in COLUMNS:
            value = median(mine, column)
            digits = 1 if column in ONE_DECIMAL else 0
            cells.append("–" if value is None else f"{value:,.{digits}f}")
        errors = sum(int(row["errors"]) for row in mine)
        off = by_label.get(baseline(label))
        ratios = []
        for column in ("p99_us", "server_cpu_us_per_call"):
            ours, theirs = median(mine, column), off and median(off, column)
            ratios.append(f"{ours / theirs:.2f}×" if ours and theirs else "–")
        rounds = f"{len(mine)}" if max_steal is None else f"{len(mine)} of {all_rounds[label]}"
        print(f"| {label} | {rounds} | " + " | ".join(cells) + f" | {errors} | "
              + " | ".join(ratios) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--max-steal", type=float, metavar="PCT",
                        help="leave out rows whose steal_pct is above PCT")
    arguments = parser.parse_args()
    main(arguments.csv, arguments.max_steal)
