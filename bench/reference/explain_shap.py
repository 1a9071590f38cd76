"""Python shap's exact explainer on the network `churn bench explain-export` wrote: the same layers, calibration,
background and customers as `churn explain`. Prints the median time of explaining the customers (after a warm-up that
compiles shap's numba code) and, given churn's output CSV, the largest difference between the two explanations.

usage: explain_shap.py EXPORT.json REPEATS [CHURN_EXPLAIN.csv]
"""
import csv
import json
import statistics
import sys
import time

import numpy as np
import shap

export = json.load(open(sys.argv[1]))
repeats = int(sys.argv[2])
layers = [(np.array(l["weight"], dtype=np.float32).reshape(l["outputs"], l["inputs"]).T.copy(),
           np.array(l["bias"], dtype=np.float32)) for l in export["layers"]]
activation = np.tanh if export["activation"] == "tanh" else (lambda z: np.maximum(z, 0))
slope, intercept, eps = export["slope"], export["intercept"], export["epsilon"]


def log_odds(rows):
    """The calibrated log-odds: the network's softmax score for buyers, clipped, logit, then Platt's line."""
    h = np.asarray(rows, dtype=np.float32)
    for i, (w, b) in enumerate(layers):
        h = h @ w + b
        if i < len(layers) - 1:
            h = activation(h)
    raw = 1 / (1 + np.exp(h[:, 0].astype(np.float64) - h[:, 1]))
    raw = np.clip(raw, eps, 1 - eps)
    return slope * np.log(raw / (1 - raw)) + intercept


background = np.array(export["background"])
customers = np.array(export["customers"])
explainer = shap.explainers.Exact(log_odds, shap.maskers.Independent(background, max_samples=len(background)))
explainer(customers[:1], silent=True)  # warm-up: numba compiles shap's coalition code
times = []
for _ in range(repeats):
    start = time.perf_counter()
    result = explainer(customers, silent=True)
    times.append(time.perf_counter() - start)
print(f"shap_seconds {statistics.median(times):.4f}")
print(f"shap_base_log_odds {float(np.atleast_1d(result.base_values)[0]):.10f}")
if len(sys.argv) > 3:
    rows = list(csv.DictReader(open(sys.argv[3])))
    names = [k[: -len("_log_odds")] for k in rows[0] if k.endswith("_log_odds") and k != "base_log_odds" and k != "log_odds"]
    ours = np.array([[float(r[f"{n}_log_odds"]) for n in names] for r in rows[: len(customers)]])
    print(f"max_abs_difference {np.abs(ours - result.values).max():.3g}")
    print(f"mean_abs_contribution {np.abs(result.values).mean():.4g}")
