"""Asserts the key numbers the executed notebooks print, within the
tolerances of the estimators' own tests (lib/rate, lib/startup, lib/vod)
where those apply, and fails on any error output.

Usage: /usr/bin/python3 check_notebooks.py DIR   (DIR holds the executed
copies, same file names as notebooks/)
"""
import json
import os
import re
import sys

failures = []


def text_of(path):
    nb = json.load(open(path))
    out = []
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            if o["output_type"] == "error":
                failures.append("%s: cell error %s: %s" % (os.path.basename(path), o["ename"], o["evalue"]))
            if o["output_type"] == "stream":
                out.append("".join(o["text"]))
            elif "text/plain" in o.get("data", {}):
                t = o["data"]["text/plain"]
                out.append("".join(t) if isinstance(t, list) else t)
    return "\n".join(out)


def grab(name, text, pattern, conv=float):
    m = re.search(pattern, text)
    if not m:
        failures.append("%s: no match for %r" % (name, pattern))
        return None
    return [conv(g) for g in m.groups()]


def check(name, cond, what):
    if not cond:
        failures.append("%s: %s" % (name, what))


def near(v, want, tol):
    return v is not None and abs(v - want) <= tol


def main(d):
    path = lambda n: os.path.join(d, n)

    n = "00-tour"
    t = text_of(path(n + ".ipynb"))
    check(n, "31557 packets" in t and "synthetic: true" in t, "capture summary")
    v = grab(n, t, r"playable V = (\d+), scope ξ = f \+ (\d+), fill U = (\d+)", int)
    check(n, v and v[0] <= v[2] <= v[1] + 1, "buffer map V ≤ U ≤ ξ−f+1: %s" % v)

    n = "01-messages"
    t = text_of(path(n + ".ipynb"))
    v = grab(n, t, r"([\d.]+) % of the messages decoded as ppl")
    check(n, v and v[0] > 80, "ppl share > 80 %%: %s" % v)
    check(n, re.search(r"\b720\s+type == TRACKER_OFFSET_RESP", t), "720 tracker answers")

    n = "02-playback-rate"
    t = text_of(path(n + ".ipynb"))
    truth = [(2000, 10, 6), (4667, 6, 10)]
    for i, (tt, r0, r1) in enumerate(truth):
        v = grab(n, t, r"PLEA reset %d: t =\s+([\d.]+) s,\s+([\d.]+) ->\s+([\d.]+)" % (i + 1))
        # lib/rate's recovery test: resets within ±Δ/10, rates within ±0.2 chunk/s.
        check(n, v and near(v[0], tt, 150) and near(v[1], r0, 0.2) and near(v[2], r1, 0.2),
              "reset %d %s, truth %s" % (i + 1, v, (tt, r0, r1)))
    check(n, not re.search(r"PLEA reset 3:", t), "exactly two resets")
    v = grab(n, t, r"CHU: one rate for the whole trace: ([\d.]+)")
    check(n, v and 6.5 < v[0] < 9.5, "CHU's single rate between the two rates: %s" % v)
    v = grab(n, t, r"agree within 0.2 chunk/s \(outside ±Δ of a reset\): ([\d.]+) %")
    check(n, v and v[0] >= 90, "Fig. 4 agreement ≥ 90 %%: %s" % v)

    n = "03-startup"
    t = text_of(path(n + ".ipynb"))
    for a in ("α_W", "α_L"):
        v = grab(n, t, a + r" mode = ([\d.]+)")
        check(n, v and near(v[0], 0.34, 0.0101), "%s mode %s, paper 0.34" % (a, v))
    check(n, "α_W sharper than α_L: true" in t, "α_W sharper")
    v = grab(n, t, r"mean T_p   = ([\d.]+) s")
    check(n, v and 0.9 <= v[0] <= 2, "T_p in [0.9, 2] s: %s" % v)
    v = grab(n, t, r"mean T_chk = ([\d.]+) s")
    check(n, v and near(v[0], 2.566, 0.5), "T_chk mean %s" % v)
    v = grab(n, t, r"senders before the first request = ([\d.]+)")
    check(n, v and near(v[0], 4.69, 1.0), "mean senders %s, paper 4.69" % v)
    v = grab(n, t, r"chunks θ…θ\+10 = ([\d.]+) %")
    check(n, v and v[0] > 70, "≥ 3 neighbours > 70 %%: %s" % v)
    v = grab(n, t, r"τ_s = ([\d.]+) s \(truth ([\d.]+) s\), L_0 = (\d+) chunks \(truth (\d+)\), L_h = L_0 \+ r·τ_s = (\d+) chunks \(truth (\d+)\)")
    check(n, v and near(v[0], v[1], 1) and near(v[2], v[3], 1) and near(v[4], v[5], 10), "τ_s, L_0, L_h vs truth %s" % v)
    v = grab(n, t, r"τ_sch = ([\d.]+) s \(truth ([\d.]+) s")
    check(n, v and near(v[0], v[1], 5), "τ_sch ± 5 s: %s" % v)
    v = grab(n, t, r"C_sch = (\d+) chunks \(truth (\d+)")
    check(n, v and near(v[0], v[1], 0.05 * v[1]), "C_sch ± 5 %%: %s" % v)
    v = grab(n, t, r"r_d   = ([\d.]+) chunks/s \(truth ([\d.]+)\)")
    check(n, v and near(v[0], v[1], 0.1 * v[1]), "r_d ± 10 %%: %s" % v)

    n = "04-vod-behaviour"
    t = text_of(path(n + ".ipynb"))
    v = grab(n, t, r"contributors: ([\d.]+) % of peers")
    check(n, v and 60 <= v[0] <= 80, "contributors about two-thirds: %s" % v)
    v = grab(n, t, r"Zpeers: ([\d.]+) % of peers")
    check(n, v and v[0] < 6, "Zpeers < 6 %%: %s" % v)
    for ch in ("1", "2", "3"):
        got = grab(n, t, r"\n%s\s+\d+ \(([\d.]+) %%\)\s+\d+ \([\d.]+ %%\)\s+\d+ \(([\d.]+) %%\)" % ch)
        paper = grab(n, t, r"\n%s \(paper\)\s+\d+ \(([\d.]+) %%\)\s+\d+ \([\d.]+ %%\)\s+\d+ \(([\d.]+) %%\)" % ch)
        # Smoother shares within 8 points of the paper's (binomial spread of
        # a few hundred peers, plus the crawl's partial view).
        check(n, got and paper and near(got[0], paper[0], 8) and near(got[1], paper[1], 8),
              "Table 1 channel %s smoother shares %s vs paper %s" % (ch, got, paper))
        # lib/vod's preset test: the counts the crawler can observe are
        # recovered exactly.
        counts = grab(n, t, r"\n%s\s+(\d+) \([\d.]+ %%\)\s+(\d+) \([\d.]+ %%\)\s+(\d+) \([\d.]+ %%\)\s+(\d+) \(" % ch, int)
        truth = grab(n, t, r"truth, channel %s \(observable\): contributor smoothers (\d+), jumpers (\d+); watcher smoothers (\d+), jumpers (\d+)" % ch, int)
        check(n, counts is not None and counts == truth, "Table 1 channel %s counts %s, truth %s" % (ch, counts, truth))
    check(n, "most attractive: channel 3, least: channel 2" in t, "WI attractiveness order")
    v = grab(n, t, r"after minute 10: ([\d.]+)")
    check(n, v and v[0] < 0.2, "sharing profile time-invariant: %s" % v)


if __name__ == "__main__":
    main(sys.argv[1])
    for f in failures:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print("notebook numbers: ok")
