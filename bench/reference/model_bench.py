"""churn's networks against gradient boosting on customers they never saw, in their natural mix.

usage:
  model_bench.py split DATA SEED OUT     stratified 80/20 split (seed SEED) of DATA: OUT/train.csv, OUT/score.csv, OUT/answers.csv
  model_bench.py hgb OUT                 HistGradientBoosting with defaults, and with learning rate x leaves picked on
                                         validation log loss (10 % of train.csv, stratified); one JSON line per model
  model_bench.py churn OUT NAME SCORES SECONDS   churn's scores (churn predict's output) for OUT/score.csv as one JSON line
  model_bench.py table RESULTS           mean and per-split figures of the JSON lines in RESULTS
Figures: ROC AUC, Brier, calibration error (10 equal bins), campaign profit (contact when p x 10 > 2; profit =
10 per buyer contacted - 2 per contact) and training seconds. Needs Debian's python3-numpy and python3-sklearn.
"""
import csv, json, os, sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

VALUE, COST = 10.0, 2.0


def ece(y, p, b=10):
    k = np.minimum((p * b).astype(int), b - 1)
    return float(sum(abs(y[k == j].mean() - p[k == j].mean()) * (k == j).mean() for j in range(b) if (k == j).any()))


def figures(y, p):
    contact = p * VALUE > COST
    return {"auc": float(roc_auc_score(y, p)), "brier": float(brier_score_loss(y, p)), "ece": ece(y, p),
            "profit": float((y[contact] * VALUE).sum() - COST * contact.sum())}


def load(out):
    train = np.loadtxt(f"{out}/train.csv", delimiter=",")
    score = np.loadtxt(f"{out}/score.csv", delimiter=",")
    answers = np.loadtxt(f"{out}/answers.csv", delimiter=",")
    return train, score, answers


def main():
    what = sys.argv[1]
    if what == "split":
        data, seed, out = np.loadtxt(sys.argv[2], delimiter=","), int(sys.argv[3]), sys.argv[4]
        tr, te = train_test_split(data, test_size=0.2, stratify=data[:, 11], random_state=seed)
        os.makedirs(out, exist_ok=True)
        fmt = ["%d"] + ["%.10g"] * 10
        np.savetxt(f"{out}/train.csv", tr, delimiter=",", fmt=fmt + ["%d"])
        np.savetxt(f"{out}/score.csv", te[:, :11], delimiter=",", fmt=fmt)
        np.savetxt(f"{out}/answers.csv", te[:, [0, 11]], delimiter=",", fmt="%d")
    elif what == "hgb":
        out = sys.argv[2]
        train, score, answers = load(out)
        x, y, xs, ys = train[:, 1:11], train[:, 11].astype(int), score[:, 1:11], answers[:, 1].astype(int)
        t0 = time.perf_counter()
        p = HistGradientBoostingClassifier(random_state=0).fit(x, y).predict_proba(xs)[:, 1]
        print(json.dumps({"model": "HGB defaults", "seconds": time.perf_counter() - t0, **figures(ys, p)}))
        t0 = time.perf_counter()
        xt, xv, yt, yv = train_test_split(x, y, test_size=0.1, stratify=y, random_state=0)
        best = None
        for rate in (0.03, 0.06, 0.1, 0.2):
            for leaves in (7, 15, 31):
                m = HistGradientBoostingClassifier(learning_rate=rate, max_leaf_nodes=leaves, max_iter=1000, early_stopping=True,
                                                   validation_fraction=0.1, n_iter_no_change=20, random_state=0).fit(xt, yt)
                loss = log_loss(yv, m.predict_proba(xv)[:, 1])
                if best is None or loss < best[0]:
                    best = (loss, m, rate, leaves)
        p = best[1].predict_proba(xs)[:, 1]
        print(json.dumps({"model": "HGB tuned", "seconds": time.perf_counter() - t0, "picked": f"lr {best[2]} leaves {best[3]}", **figures(ys, p)}))
    elif what == "churn":
        out, name, scores, seconds = sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
        answers = {int(r[0]): int(r[1]) for r in csv.reader(open(f"{out}/answers.csv"))}
        rows = list(csv.DictReader(open(scores)))
        y = np.array([answers[int(r["customer_id"])] for r in rows])
        p = np.array([float(r["probability"]) for r in rows])
        print(json.dumps({"model": name, "seconds": seconds, **figures(y, p)}))
    elif what == "table":
        rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
        models = list(dict.fromkeys(r["model"] for r in rows))
        print(f"{'model':28s} {'ROC AUC':>8s} {'Brier':>8s} {'ECE':>7s} {'profit':>7s} {'train s':>8s}   per split (AUC / Brier / ECE / profit)")
        for m in models:
            rs = [r for r in rows if r["model"] == m]
            mean = {k: np.mean([r[k] for r in rs]) for k in ("auc", "brier", "ece", "profit", "seconds")}
            per = "  ".join(f"{r['auc']:.4f}/{r['brier']:.4f}/{r['ece']:.4f}/{r['profit']:.0f}" for r in rs)
            print(f"{m:28s} {mean['auc']:8.4f} {mean['brier']:8.4f} {mean['ece']:7.4f} {mean['profit']:7.0f} {mean['seconds']:8.2f}   {per}")


if __name__ == "__main__":
    main()
