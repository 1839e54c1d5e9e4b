"""Turn the measurements into rows with targets, and print them as a table."""

from __future__ import annotations

GB = 1024


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _rows_with(rows: list[dict]):
    def row(name, subject, reference, ratio, target, met, **extra):
        rows.append(
            {
                "scenario": name,
                "subject": _figures(subject),
                "reference": _figures(reference),
                "ratio": ratio,
                "target": target,
                "met": met,
                **extra,
            }
        )

    return row


def hello_rows(hello: dict) -> list[dict]:
    """Rows 1-3: the JS hello route against the Django view, bare ASGI, Node."""
    js = hello["js"]
    rows = []
    row = _rows_with(rows)
    ratio = _ratio(js["rps"], hello["django_view"]["rps"])
    row(
        "1 GET /hello JS vs async Django view @64",
        js,
        hello["django_view"],
        ratio,
        ">= 2x, p99 <= 50 ms, 0 errors",
        ratio >= 2 and js["p99_ms"] <= 50 and js["errors"] == 0,
    )
    ratio = _ratio(js["rps"], hello["bare_asgi"]["rps"])
    row(
        "2 GET /hello JS vs bare ASGI + mini-racer",
        js,
        hello["bare_asgi"],
        ratio,
        ">= 0.45x",
        ratio >= 0.45,
    )
    row(
        "3 GET /hello JS vs Node http (ceiling)",
        js,
        hello["node"],
        _ratio(js["rps"], hello["node"]["rps"]),
        "reported",
        None,
    )
    return rows


def rows_from(results: dict) -> list[dict]:
    rows = hello_rows(results["hello"])
    storage = results["storage"]
    row = _rows_with(rows)
    engine = results["engine"]
    row(
        "4 engine alone, 1 process, hello",
        {"rps": engine["per_second"]},
        None,
        None,
        ">= 2,500 invocations/s",
        engine["per_second"] >= 2500,
    )
    cold = results["cold"]
    row(
        "5 first request after upload vs warm",
        {"p50_ms": cold["cold_ms"]},
        {"p50_ms": cold["warm_ms"]},
        None,
        "cold <= warm + 50 ms",
        cold["cold_ms"] <= cold["warm_ms"] + 50,
    )
    s_js, s_ref = storage["js"], storage["django_orm"]
    ratio = _ratio(s_js["rps"], s_ref["rps"])
    row(
        "6 storage read+write JS vs ORM view @64",
        s_js,
        s_ref,
        ratio,
        ">= 1.5x",
        ratio >= 1.5,
    )
    many = results["many"]
    row(
        "7 1,000 scripts random, pool 256 @16",
        many,
        None,
        None,
        "p99 <= 100 ms, RSS <= 1.5 GB",
        many["p99_ms"] <= 100 and many["rss_mb"] <= 1.5 * GB,
    )
    larger = results.get("many_larger_pool")
    if larger is not None:
        row(
            f"7b same, pool {larger['pool']} @16",
            larger,
            None,
            None,
            "p99 <= 100 ms, RSS <= 1.5 GB",
            larger["p99_ms"] <= 100 and larger["rss_mb"] <= 1.5 * GB,
        )
    streams = results.get("sse")
    if streams is not None:
        p99 = streams["p99_ms"]
        row(
            f"8 {streams['clients']:,} SSE clients, one broadcast",
            {k: v for k, v in streams.items() if v is not None},
            None,
            None,
            "p99 delivery <= 250 ms, none lost",
            p99 is not None and p99 <= 250 and streams["errors"] == 0,
        )
    calls = results.get("host_calls")
    if calls is not None:
        row(
            f"9 host call: {calls['calls']:,} cached getItem in one request",
            # As row 4 puts invocations/s under req/s: p50 is µs per call here.
            {"p50_ms": calls["us_per_call"]},
            None,
            None,
            "<= 150 us per call",
            calls["us_per_call"] <= 150,
        )
    flood = results.get("flood")
    if flood is not None:
        p99 = flood["p99_ms"]  # of the 429s
        row(
            f"10 {flood['connections']} slow calls to one tenant",
            {k: v for k, v in flood.items() if v is not None},
            None,
            None,
            "200 or 429 only, p99 of 429s <= 50 ms",
            p99 is not None and p99 <= 50 and flood["other"] == 0,
            answers={
                "200": flood["ok"],
                "429": flood["refused"],
                "other": flood["other"],
            },
            ok_p99_ms=flood["ok_p99_ms"],
        )
    for name in ("hotkey", "hotkey_scaled"):
        hot = results.get(name)
        if hot is None:
            continue
        row(
            f"11 {hot['increments']:,} increments of 1 key @{hot['concurrency']}, "
            f"{hot['stack']}",
            {k: v for k, v in hot.items() if v is not None},
            None,
            None,
            "every increment counted, 0 5xx",
            hot["counted"] == hot["increments"] and hot["server_errors"] == 0,
            counted={
                "increments": hot["increments"],
                "counted": hot["counted"],
                "5xx": hot["server_errors"],
            },
        )
    store = results.get("store_trigger")
    if store is not None:
        rows += store_rows(store)
    scheduled = results.get("scheduler")
    if scheduled is not None:
        rows += scheduler_rows(scheduled)
    return rows


def store_rows(store: dict) -> list[dict]:
    """Row 13 (bench/scenarios.py store_triggers): what one trigger costs."""
    guarded, plain = store["with_trigger"], store["no_trigger"]
    cost = guarded["p50_ms"] - plain["p50_ms"]
    return [
        {
            "scenario": "13 POST /store 1 entity, 1 pre-processing trigger vs none @1",
            "subject": _figures(guarded),
            "reference": _figures(plain),
            "ratio": _ratio(guarded["rps"], plain["rps"]),
            "target": "trigger costs <= 2 ms at p50, 0 errors",
            "met": cost <= 2 and guarded["errors"] == 0 and plain["errors"] == 0,
            "trigger_cost_p50_ms": round(cost, 3),
        }
    ]


def scheduler_rows(result: dict) -> list[dict]:
    """Row 12 (bench/scheduler.py): cold contexts, then warm."""
    rows = []
    for key, label in (("cold", "12"), ("warm", "12b")):
        r = result[key]
        rows.append(
            {
                "scenario": f"{label} {r['jobs']:,} jobs due at once, "
                f"{result['workers']} workers, {key}",
                "subject": _figures(r),
                "reference": None,
                "ratio": None,
                "target": "each runs once, lateness p99 <= 2 s",
                "met": r["errors"] == 0
                and r["p99_ms"] is not None
                and r["p99_ms"] <= 2000,
                "ran_once": {"jobs": r["jobs"], "once": r["ran_once"]},
            }
        )
    return rows


FIGURES = ("rps", "p50_ms", "p99_ms", "errors", "error_kinds", "error_sample", "rss_mb")


def _figures(f: dict | None) -> dict | None:
    if f is None:
        return None
    return {k: f[k] for k in FIGURES if k in f}


def error_notes(rows: list[dict]) -> list[str]:
    """One line per measured side with errors: how many of each kind, a sample.

    Kinds: wrk's socket errors (connect, read, write, timeout), "status NNN"
    for answers of 400 or more, wrong_body for 2xx/3xx answers with an
    unexpected body. Rows 1-3 share their subject: it is told once.
    """
    notes, told = [], set()
    for r in rows:
        for side in ("subject", "reference"):
            f = r[side]
            key = repr(sorted((f or {}).items()))
            if not f or not f.get("errors") or key in told:
                continue
            told.add(key)
            kinds = ", ".join(
                f"{n} {k}" for k, n in f.get("error_kinds", {}).items() if n
            )
            line = (
                f"errors, row {r['scenario'].split()[0]} {side}: {kinds or f['errors']}"
            )
            if f.get("error_sample"):
                line += f"; first: {f['error_sample'][:160]}"
            notes.append(line)
    return notes


def _cell(f: dict | None, key: str, fmt: str) -> str:
    width = int(fmt.rstrip("fd").split(".")[0])
    if not f or key not in f:
        return "-".rjust(width)
    return format(f[key], fmt)


def table(rows: list[dict]) -> str:
    head = (
        f"{'scenario':<42} {'req/s':>8} {'p50':>7} {'p99':>7} {'err':>5} "
        f"{'RSS MB':>7} | {'ref req/s':>9} {'ref p50':>7} {'ref p99':>7} "
        f"{'ref err':>7} {'ref RSS':>7} | {'ratio':>6}  {'target':<33} met"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        s, ref = r["subject"], r["reference"]
        met = {True: "met", False: "NOT MET", None: "-"}[r["met"]]
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        lines.append(
            f"{r['scenario']:<42} {_cell(s, 'rps', '8.0f')} {_cell(s, 'p50_ms', '7.1f')}"
            f" {_cell(s, 'p99_ms', '7.1f')} {_cell(s, 'errors', '5d')}"
            f" {_cell(s, 'rss_mb', '7.0f')} | {_cell(ref, 'rps', '9.0f')}"
            f" {_cell(ref, 'p50_ms', '7.1f')} {_cell(ref, 'p99_ms', '7.1f')}"
            f" {_cell(ref, 'errors', '7d')} {_cell(ref, 'rss_mb', '7.0f')}"
            f" | {ratio:>6}  {r['target']:<33} {met}"
        )
    lines.append(
        "(times in ms; row 4 req/s = invocations/s; row 5 p50 = median latency of the "
        "first request after an upload vs a warm request; row 8: delivery latency "
        "from the broadcast POST, err = clients that lost it or could not connect; "
        "row 9 p50 = µs per host call; row 10: p50 and p99 of the 429 answers, "
        "err = answers neither 200 nor 429; row 11 req/s = increments/s, "
        "err = answers not 200; row 12 req/s = runs/s, p50 and p99 = lateness of "
        "the runs (start minus due), err = jobs not run exactly once)"
    )
    for r in rows:
        if "answers" in r:
            a = r["answers"]
            lines.append(
                f"row {r['scenario'].split()[0]}: {a['200']:,} x 200, {a['429']:,} x 429, "
                f"{a['other']:,} other; p99 of the 200s "
                f"{(r['ok_p99_ms'] or 0) / 1000:.1f} s"
            )
        if "ran_once" in r:
            c = r["ran_once"]
            lines.append(
                f"row {r['scenario'].split()[0]}: {c['once']:,} of {c['jobs']:,} jobs "
                "ran exactly once"
            )
        if "counted" in r:
            c = r["counted"]
            lines.append(
                f"row {r['scenario'].split()[0]} ({r['scenario'].rsplit(', ', 1)[-1]}): "
                f"{c['counted']:,} of {c['increments']:,} increments counted, "
                f"{c['5xx']:,} answers 5xx"
            )
    lines += error_notes(rows)
    return "\n".join(lines)
