#!/usr/bin/python3
"""Tables (tables.md) and plot data (plot_data/*.dat) from the CSVs of nercc_byzantine_eval.

Usage: /usr/bin/python3 make_tables.py DIR   (DIR holds attacks.csv, thresholds.csv, smallest_n.csv)
Then: cd DIR && gnuplot plots.gp
"""
import collections
import csv
import os
import sys

ATTACKS = ["sign_flip", "noise_1", "noise_10", "noise_100", "constant", "copy_other_worker", "other_query",
           "adaptive"]
SCHEMES = [("spline", "today", "residual"), ("spline", "systematic", "residual"), ("berrut", "today", "residual"),
           ("berrut", "systematic", "residual"), ("berrut", "today", "locator"), ("replication", "copies", "vote")]
NAMES = {("spline", "today", "residual"): "NeRCC spline", ("spline", "systematic", "residual"): "NeRCC spline sys.",
         ("berrut", "today", "residual"): "Berrut", ("berrut", "systematic", "residual"): "Berrut sys.",
         ("berrut", "today", "locator"): "ApproxIFER (Berrut + locator)",
         ("replication", "copies", "vote"): "replication + vote"}


def name_of(sc):
    """The table name of (scheme, layout, detector); the oracle is the perfect detector of a code."""
    if sc[2] == "oracle":
        return NAMES[(sc[0], sc[1], "vote" if sc[0] == "replication" else "residual")] + ", perfect detector"
    return NAMES[sc]


def label_of(sc):
    """A one-word label of (scheme, layout, detector) for the plot data."""
    return sc[0] + ("_sys" if sc[1] == "systematic" else "") + ("_" + sc[2] if sc[2] in ("locator", "oracle") else "")


def f(x, digits=4):
    return "" if x is None or x != x else ("%." + str(digits) + "g") % x


def num(s):
    return float(s) if s not in ("", None) else float("nan")


def load(path):
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []


def scheme_of(r):
    return (r["scheme"], r["layout"], r["detector"])


def main(d):
    out = []
    os.makedirs(os.path.join(d, "plot_data"), exist_ok=True)
    attacks = load(os.path.join(d, "attacks.csv"))
    models = sorted({r["model"] for r in attacks}, key=lambda m: ["lenet5", "resnet", "synthetic"].index(m))

    # (a) RelAcc under each attack against the same decoder with no adversary.
    out.append("## (a) RelAcc under attack at N = 2K + 2E + S - 1 (replication: (2E + 1 + S) K)\n")
    out.append("Worst drop over every attack and both placements of (RelAcc with no adversary, same decoder) - "
               "(RelAcc under attack); target <= 0.01 (1 point). `clean` is the decoder's RelAcc with no "
               "adversary, `plain` the E = 0 decoder's.\n")
    for m in models:
        out.append("\n### %s\n" % m)
        out.append("| scheme | E | S | N | plain | clean | worst attacked | worst drop | worst case | target | "
                   "worst drop without the adaptive attacker | its case | target | perfect detector's worst drop |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        groups = collections.defaultdict(list)
        for r in attacks:
            if r["model"] == m:
                groups[(scheme_of(r), int(r["E"]), int(r["S"]))].append(r)
        drops = collections.defaultdict(list)  # scheme -> (E, worst, non-adaptive, perfect detector) at S = 0
        for sc in SCHEMES:
            for (s2, e, s), rows in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][2])):
                if s2 != sc:
                    continue
                att = [r for r in rows if r["attack"] != "none"]
                # The oracle of the same code: the plain decode with the wrong answers erased.
                orc = [r for r in attacks if r["model"] == m and r["scheme"] == sc[0] and r["layout"] == sc[1]
                       and r["detector"] == "oracle" and int(r["E"]) == e and int(r["S"]) == s
                       and r["attack"] == "erased"]
                orc_drop = max((num(r["relacc_clean"]) - num(r["relacc"]) for r in orc), default=float("nan"))
                worst = min(att, key=lambda r: num(r["relacc"]))
                drop = num(worst["relacc_clean"]) - num(worst["relacc"])
                plain_att = min((r for r in att if r["attack"] != "adaptive"), key=lambda r: num(r["relacc"]))
                drop2 = num(plain_att["relacc_clean"]) - num(plain_att["relacc"])
                out.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s/%s | %s | %s | %s/%s | %s | %s |" % (
                    NAMES[sc], e, s, worst["N"], f(num(worst["relacc_plain"])), f(num(worst["relacc_clean"])),
                    f(num(worst["relacc"])), f(drop), worst["attack"], worst["placement"],
                    "met" if drop <= 0.01 else "missed", f(drop2), plain_att["attack"], plain_att["placement"],
                    "met" if drop2 <= 0.01 else "missed", f(orc_drop)))
                if s == 0:
                    drops[sc].append((e, drop, drop2, orc_drop))
        for sc, rows in drops.items():
            with open(os.path.join(d, "plot_data", "drops_%s_%s_%s_%s.dat" % (m, *sc)), "w") as p:
                p.write("# E worst_drop worst_drop_non_adaptive perfect_detector_drop (S = 0, worst over attacks "
                        "and placements)\n")
                for row in sorted(rows):
                    p.write("%d %s %s %s\n" % (row[0], f(row[1]), f(row[2]), f(row[3])))
        # RelAcc vs E per attack (random placement, S = 0) for the plots.
        for sc in SCHEMES:
            name = "relacc_%s_%s_%s_%s.dat" % (m, *sc)
            with open(os.path.join(d, "plot_data", name), "w") as p:
                p.write("# E clean " + " ".join(ATTACKS) + " (random placement, S = 0)\n")
                for e in sorted({int(r["E"]) for r in attacks}):
                    rows = {r["attack"]: r for r in attacks if r["model"] == m and scheme_of(r) == sc
                            and int(r["E"]) == e and r["S"] == "0" and r["placement"] in ("random", "none")}
                    if not rows:
                        continue
                    p.write("%d %s %s\n" % (e, rows["none"]["relacc"],
                                            " ".join(rows[a]["relacc"] if a in rows else "nan" for a in ATTACKS)))

    # (b) Detection precision and recall.
    out.append("\n## (b) Detection: precision and recall of the flagged set\n")
    out.append("Smallest precision and recall over E in {1, 2, 3}, S in {0, 1, 2} and both placements; target "
               ">= 0.99 for sign flip and noise sigma >= 10. In the systematic layouts a flagged honest twin (the "
               "companion next to a wrong systematic worker, which the detector cannot tell apart by design) "
               "counts against precision.\n")
    for m in models:
        out.append("\n### %s\n" % m)
        out.append("| scheme | attack | min precision | min recall | mean precision | mean recall | target |")
        out.append("|---|---|---|---|---|---|---|")
        for sc in SCHEMES[:5]:
            for a in ATTACKS:
                rows = [r for r in attacks if r["model"] == m and scheme_of(r) == sc and r["attack"] == a]
                if not rows:
                    continue
                pr = [num(r["precision"]) for r in rows if r["precision"] != ""]
                rc = [num(r["recall"]) for r in rows]
                targeted = a in ("sign_flip", "noise_10", "noise_100")
                verdict = ("met" if min(pr or [0]) >= 0.99 and min(rc) >= 0.99 else "missed") if targeted else "curve"
                out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                    NAMES[sc], a, f(min(pr) if pr else float("nan")), f(min(rc)),
                    f(sum(pr) / len(pr) if pr else float("nan")), f(sum(rc) / len(rc)), verdict))
        for sc in SCHEMES[:5]:
            with open(os.path.join(d, "plot_data", "detect_%s_%s_%s_%s.dat" % (m, *sc)), "w") as p:
                p.write("# sigma precision recall (mean over E, S, placements)\n")
                for sigma in (1, 10, 100):
                    rows = [r for r in attacks if r["model"] == m and scheme_of(r) == sc
                            and r["attack"] == "noise_%d" % sigma]
                    pr = [num(r["precision"]) for r in rows if r["precision"] != ""]
                    rc = [num(r["recall"]) for r in rows]
                    if rows:
                        p.write("%d %s %s\n" % (sigma, f(sum(pr) / len(pr) if pr else 0.0), f(sum(rc) / len(rc))))

    # (c) The adaptive attacker.
    out.append("\n## (c) The adaptive attacker\n")
    out.append("Largest bias along (runner-up - top) of its own answer that the decoder does not flag, found "
               "by bisection with the decoder itself. damage = MSE between the decode of the attacked answers "
               "and of the clean ones; bound: (|D_A| |B| / sigma_min(C_A^T C_A) + |plain - clean|)^2 / (K d), |B_j| = "
               "|c_j| threshold scale + |c_j^T C Y| (E = 1: |D_a| (threshold scale + |t_a|) / |C_a|), valid in the "
               "groups whose attacked decode flags nothing; violations: those groups above it.\n")
    out.append("| model | scheme | E | S | placement | amplitude (mean) | damage MSE mean | damage MSE max | "
               "bound MSE max | violations | groups the bound covers | groups with an honest flag | RelAcc | "
               "clean |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in attacks:
        if r["attack"] == "adaptive" and r["S"] == "0":
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["model"], NAMES[scheme_of(r)], r["E"], r["S"], r["placement"], r["amplitude_mean"],
                r["damage_mse_mean"], r["damage_mse_max"], r["bound_mse_max"], r["bound_violations"],
                r.get("bound_groups", ""), r.get("bound_skipped", ""), r["relacc"], r["relacc_clean"]))

    # (d) Smallest N.
    small = load(os.path.join(d, "smallest_n.csv"))
    if small:
        out.append("\n## (d) Smallest N with RelAcc >= 0.95 under every attack (both placements) and none\n")
        out.append("Scanned upward from K + 2E + S; `-` when not reached up to the largest N scanned. "
                   "ApproxIFER's count 2K + 2E + S - 1, replication's (2E + 1 + S) K.\n")
        out.append("| model | scheme | E | S | smallest N | worst RelAcc there | largest N scanned | "
                   "2K+2E+S-1 | (2E+1+S)K |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        k = 12
        best = collections.OrderedDict()
        for r in small:
            key = (r["model"], (r["scheme"], r["layout"], r["detector"]), int(r["E"]), int(r["S"]))
            b = best.setdefault(key, {"n": None, "rel": None, "max": 0})
            b["max"] = max(b["max"], int(r["N"]))
            if r["meets"] == "1" and b["n"] is None:
                b["n"], b["rel"] = int(r["N"]), r["worst_relacc"]
        for (m, sc, e, s), b in best.items():
            out.append("| %s | %s | %d | %d | %s | %s | %d | %d | %d |" % (
                m, name_of(sc), e, s, b["n"] if b["n"] else "-", b["rel"] or "", b["max"], 2 * k + 2 * e + s - 1,
                (2 * e + 1 + s) * k))

    # (d') The same from every measured N, without the adaptive attacker.
    detail = load(os.path.join(d, "smallest_n_detail.csv"))
    if detail:
        out.append("\n### (d') Smallest N with RelAcc >= 0.95 under every non-adaptive attack (both placements) "
                   "and none\n")
        out.append("| model | scheme | E | S | smallest N | worst RelAcc there | largest N measured | 2K+2E+S-1 | "
                   "(2E+1+S)K |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        worst = collections.OrderedDict()
        for r in detail:
            if r["attack"] == "adaptive":
                continue
            key = (r["model"], scheme_of(r), int(r["E"]), int(r["S"]))
            w = worst.setdefault(key, {})
            w[int(r["N"])] = min(w.get(int(r["N"]), 2.0), num(r["relacc"]))
        k = 12
        p = open(os.path.join(d, "plot_data", "smallest_n.dat"), "w")
        p.write("# model scheme E S smallest_N(non-adaptive attacks) approxifer replication\n")
        for (m, sc, e, s), w in worst.items():
            met = [n for n in sorted(w) if w[n] >= 0.95]
            if m != "synthetic":  # the plot: Fashion-MNIST only
                p.write("%s %s E%dS%d %s %d %d\n" % (m, label_of(sc),
                                                      e, s, met[0] if met else "nan", 2 * k + 2 * e + s - 1,
                                                      (2 * e + 1 + s) * k))
            out.append("| %s | %s | %d | %d | %s | %s | %d | %d | %d |" % (
                m, name_of(sc), e, s, met[0] if met else "-", f(w[met[0]]) if met else "", max(w),
                2 * k + 2 * e + s - 1, (2 * e + 1 + s) * k))

    # Threshold calibration.
    th = load(os.path.join(d, "thresholds.csv"))
    if th:
        out.append("\n## Threshold calibration (no adversary: false flags; attacks at random positions: recall)\n")
        out.append("Means over E in {1, 2} and S in {0, 1}. false flags: honest answers flagged per honest "
                   "answer; groups: share of groups with a false flag.\n")
        out.append("Recall: random positions. Worst drops: the largest (RelAcc with no adversary, same threshold) - "
                   "(RelAcc under attack) over E, S, both placements and the attacks other than the adaptive one, "
                   "then the adaptive attacker's alone; no threshold keeps both within the 1-point target where "
                   "every row of a scheme misses it.\n")
        out.append("| model | scheme | threshold | false flags | groups | RelAcc clean | RelAcc plain | "
                   "recall sign flip | recall sigma 1 | recall sigma 10 | recall sigma 100 | recall other query | "
                   "worst drop (non-adaptive) | worst drop (adaptive) |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        agg = collections.OrderedDict()
        for r in th:
            if r["detector"] != "residual":
                continue
            key = (r["model"], (r["scheme"], r["layout"], r["detector"]), float(r["threshold"]))
            a = agg.setdefault(key, collections.defaultdict(list))
            if r["attack"] == "none":
                a["ff"].append(num(r["false_flag_rate"]))
                a["gff"].append(int(r["groups_false_flag"]) / int(r["groups"]))
                a["rc"].append(num(r["relacc"]))
                a["rp"].append(num(r["relacc_plain"]))
            else:
                if r["placement"] == "random":
                    a[r["attack"]].append(num(r["recall"]))
                drop = num(r["relacc_clean"]) - num(r["relacc"])
                which = "drop_adaptive" if r["attack"] == "adaptive" else "drop"
                a[which].append(drop)
        mean = lambda v: sum(v) / len(v) if v else float("nan")
        files = {}
        for (m, sc, t), a in sorted(agg.items(), key=lambda kv: (kv[0][0], SCHEMES.index(kv[0][1]), kv[0][2])):
            out.append("| %s | %s | %g | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                m, NAMES[sc], t, f(mean(a["ff"])), f(mean(a["gff"])), f(mean(a["rc"])), f(mean(a["rp"])),
                f(mean(a["sign_flip"])), f(mean(a["noise_1"])), f(mean(a["noise_10"])), f(mean(a["noise_100"])),
                f(mean(a["other_query"])), f(max(a["drop"] or [float("nan")])),
                f(max(a["drop_adaptive"] or [float("nan")]))))
            name = "thresholds_%s_%s_%s.dat" % (m, sc[0], sc[1])
            if name not in files:
                files[name] = open(os.path.join(d, "plot_data", name), "w")
                files[name].write("# threshold false_flags recall_sign_flip recall_noise_10 relacc_clean "
                                  "worst_drop_non_adaptive worst_drop_adaptive plain_minus_clean\n")
            files[name].write("%g %s %s %s %s %s %s %s\n" % (
                t, f(mean(a["ff"])), f(mean(a["sign_flip"])), f(mean(a["noise_10"])), f(mean(a["rc"])),
                f(max(a["drop"] or [float("nan")])), f(max(a["drop_adaptive"] or [float("nan")])),
                f(mean(a["rp"]) - mean(a["rc"]))))
        for fh in files.values():
            fh.close()
    open(os.path.join(d, "tables.md"), "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
