"""Latency histograms: HdrHistogram in µs with 3 significant digits, shipped compressed."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour: longer than any timeout
SIGNIFICANT_DIGITS = 3
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def encode(histogram: HdrHistogram) -> str:
    """HDR's compressed, base64 text form (what `hdr` holds in steps.jsonl)."""
    return histogram.encode().decode("ascii")


def decode(text: str) -> HdrHistogram:
    return HdrHistogram.decode(text.encode("ascii"))


def merge(encoded: list[str]) -> HdrHistogram:
    total = new_histogram()
    for text in encoded:
        if text:
            total.add(decode(text))
    return total


def latency_summary_ms(histogram: HdrHistogram) -> dict[str, float | None]:
    """mean, p50, p90, p95, p99, p999 and max in milliseconds (None when empty)."""
    keys = ["mean", *PERCENTILES, "max"]
    if histogram.get_total_count() == 0:
        return dict.fromkeys(keys)
    summary = {"mean": round(histogram.get_mean_value() / 1000, 3)}
    for key, pct in PERCENTILES.items():
        summary[key] = round(histogram.get_value_at_percentile(pct) / 1000, 3)
    summary["max"] = round(histogram.get_max_value() / 1000, 3)
    return summary
