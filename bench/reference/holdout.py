"""Scores churn's output against the true outcomes of customers it never saw.

usage: holdout.py ANSWERS CONTACTS METRICS [VALUE COST]
  ANSWERS   customer_id,target of the held-out customers (population.py's answers.csv)
  CONTACTS  churn target's contact list for them (customer_id,probability,expected_value,rank,contact)
  METRICS   the training run's metrics.json (its population section is the estimate to check)
Prints one JSON object: the true hold-out's figures and the run's own population estimates side by side.
"""
import sys, json, csv
import numpy as np
from sklearn.metrics import roc_auc_score, brier_score_loss

answers = {int(r[0]): int(r[1]) for r in csv.reader(open(sys.argv[1]))}
rows = list(csv.DictReader(open(sys.argv[2])))
metrics = json.load(open(sys.argv[3]))
value, cost = (float(sys.argv[4]), float(sys.argv[5])) if len(sys.argv) > 5 else (10.0, 2.0)
y = np.array([answers[int(r["customer_id"])] for r in rows])
p = np.array([float(r["probability"]) for r in rows])
contact = np.array([r["contact"] == "1" for r in rows])

def ece(y, p, b=10):
    k = np.minimum((p * b).astype(int), b - 1)
    return float(sum(abs(y[k == j].mean() - p[k == j].mean()) * (k == j).mean() for j in range(b) if (k == j).any()))

profit = float((y[contact] * value).sum() - cost * contact.sum())
best = float(np.cumsum(y[np.argsort(-p, kind="stable")] * value - cost).max())
pop = metrics["population"]
print(json.dumps({
    "auc": roc_auc_score(y, p), "brier": brier_score_loss(y, p), "ece": ece(y, p),
    "mean_p": float(p.mean()), "rate": float(y.mean()),
    "profit": profit, "best_profit": best, "profit_share_of_best": profit / best if best > 0 else float("nan"),
    "contacted": int(contact.sum()), "buyers_contacted": int(y[contact].sum()), "expected_buyers_contacted": float(p[contact].sum()),
    "profit_per_1000": 1000 * profit / len(y),
    "est_auc": pop["rocAuc"], "est_brier": pop["brier"], "est_ece": pop["calibrationError"], "est_mean_p": pop["meanProbability"],
    "est_profit_per_1000": pop["campaign"]["profitPer1000"],
}))
