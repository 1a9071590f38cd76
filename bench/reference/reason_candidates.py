"""Candidate fast approximations of exact Shapley reasons, compared on held-out customers.

Reads `churn explain` outputs: the exact contributions of every bundled customer (against the model's 100 background
customers) and of the 400 customers saved with the model, plus the model's scaler. Fits each candidate on the saved
customers (what the host fits on) and on random sets of 200 to 4,000 bundled customers, and measures it on the bundled
customers none of them used: how often the first reason and the set of 3 reasons agree with the exact ones, how many of
the 3 given are among the exact 3, how often a reason's direction agrees, and the mean absolute error.
Usage: reason_candidates.py MODEL_JSON ALL_EXPLAINED_CSV SAVED_EXPLAINED_CSV
"""
import csv
import json
import sys

import numpy as np
from sklearn.neural_network import MLPRegressor

model = json.load(open(sys.argv[1]))
scaler = model["scaler"]
names = scaler["featureNames"]
p = len(names)


def load(path):
    rows = list(csv.DictReader(open(path)))
    x = np.array([[float(r[n]) for n in names] for r in rows])
    c = np.array([[float(r[n + "_log_odds"]) for n in names] for r in rows])
    return scale(x), c, np.array([float(r["log_odds"]) for r in rows]), float(rows[0]["base_log_odds"])


def scale(x):
    z = x.copy()
    for j, n in enumerate(names):
        v = np.log1p(x[:, j]) if n in scaler["logFeatures"] else x[:, j]
        z[:, j] = (v - scaler["means"][j]) / scaler["stds"][j]
    return z


def fit_table(z, c, levels=16):
    """Per feature: intervals at quantiles (one per distinct value when few), knot = mean value, value = mean contribution."""
    table = []
    for j in range(p):
        v = np.sort(z[:, j])
        distinct = np.unique(v)
        starts = distinct if len(distinct) <= levels else np.unique(v[(np.arange(levels) * len(v)) // levels])
        k = np.clip(np.searchsorted(starts, z[:, j], side="right") - 1, 0, len(starts) - 1)
        knots = np.array([starts[b] if len(distinct) <= levels else z[k == b, j].mean() for b in range(len(starts))])
        values = np.array([c[k == b, j].mean() for b in range(len(starts))])
        table.append((starts, knots, values))
    return table


def apply_table(table, z, step=False):
    out = np.zeros(z.shape)
    for j, (starts, knots, values) in enumerate(table):
        if step:
            out[:, j] = values[np.clip(np.searchsorted(starts, z[:, j], side="right") - 1, 0, len(starts) - 1)]
        else:
            out[:, j] = np.interp(z[:, j], knots, values)
    return out


def efficient(a, log_odds, base):
    """The remainder to the customer's log-odds shared in proportion to the contributions' sizes (as the product does)."""
    rest = (log_odds - base) - a.sum(1)
    size = np.abs(a).sum(1, keepdims=True)
    return a + np.where(size > 0, np.abs(a) / np.where(size > 0, size, 1), 1 / p) * rest[:, None]


def fidelity(a, c, k=3):
    oa = np.argsort(-np.abs(a), 1, kind="stable")[:, :k]
    oc = np.argsort(-np.abs(c), 1, kind="stable")[:, :k]
    first = np.mean(oa[:, 0] == oc[:, 0])
    same = np.mean([set(oa[i]) == set(oc[i]) for i in range(len(a))])
    overlap = np.mean([len(set(oa[i]) & set(oc[i])) / k for i in range(len(a))])
    sign = np.mean(np.sign(np.take_along_axis(a, oa, 1)) == np.sign(np.take_along_axis(c, oa, 1)))
    return f"first {first:6.1%}  same 3 {same:6.1%}  3 among exact 3 {overlap:6.1%}  direction {sign:6.1%}  mean |error| {np.abs(a - c).mean():.3f}"


za, ca, la, base = load(sys.argv[2])
zs, cs, ls, _ = load(sys.argv[3])
order = np.random.default_rng(0).permutation(len(za))
held = order[4000:]
zh, ch, lh = za[held], ca[held], la[held]
print(f"{len(held):,} held-out customers, mean |contribution| {np.abs(ch).mean():.3f} log-odds")
fits = {"400 saved customers": (zs, cs, ls)}
for n in (200, 1000, 4000):
    fits[f"{n:,} bundled customers"] = (za[order[:n]], ca[order[:n]], la[order[:n]])
minutes = names.index("minutes_listened")
for name, (z, c, l) in fits.items():
    print(f"-- fitted on {name}")
    table = fit_table(z, c)
    print(f"   step table             {fidelity(efficient(apply_table(table, zh, step=True), lh, base), ch)}")
    print(f"   linear table (kept)    {fidelity(efficient(apply_table(table, zh), lh, base), ch)}")
    split = np.zeros(zh.shape)
    none, none_h = z[:, minutes] <= z[:, minutes].min() + 1e-9, zh[:, minutes] <= z[:, minutes].min() + 1e-9
    for g in (False, True):
        split[none_h == g] = apply_table(fit_table(z[none == g], c[none == g]), zh[none_h == g])
    print(f"   split at 0 minutes     {fidelity(efficient(split, lh, base), ch)}")
    net = MLPRegressor((64, 64), max_iter=2000, random_state=0, alpha=1e-3).fit(np.c_[z, l], c)
    print(f"   network 64 x 64        {fidelity(net.predict(np.c_[zh, lh]), ch)}")
