"""Scores churn's output against the true outcomes of customers it never saw.

usage: holdout.py ANSWERS CONTACTS METRICS SCORES MODEL [VALUE COST]
  ANSWERS   customer_id,target of the held-out customers (population.py's answers.csv)
  CONTACTS  churn target's contact list for them (customer_id,probability,expected_value,rank,contact)
  METRICS   the training run's metrics.json (its population section is the estimate to check)
  SCORES    churn predict's output for them (customer_id,probability,uncalibrated,predicted)
  MODEL     the model's model.json (its calibration, to compare Platt with the plain prior shift on the same scores)
Prints one JSON object: the true hold-out's figures and the run's own population estimates side by side.
"""
import sys, json, csv
import numpy as np
from sklearn.metrics import roc_auc_score, brier_score_loss

answers = {int(r[0]): int(r[1]) for r in csv.reader(open(sys.argv[1]))}
rows = list(csv.DictReader(open(sys.argv[2])))
metrics = json.load(open(sys.argv[3]))
scores = {int(r["customer_id"]): float(r["uncalibrated"]) for r in csv.DictReader(open(sys.argv[4]))}
cal = json.load(open(sys.argv[5]))["calibration"]
value, cost = (float(sys.argv[6]), float(sys.argv[7])) if len(sys.argv) > 7 else (10.0, 2.0)
y = np.array([answers[int(r["customer_id"])] for r in rows])
p = np.array([float(r["probability"]) for r in rows])
contact = np.array([r["contact"] == "1" for r in rows])

def ece(y, p, b=10):
    k = np.minimum((p * b).astype(int), b - 1)
    return float(sum(abs(y[k == j].mean() - p[k == j].mean()) * (k == j).mean() for j in range(b) if (k == j).any()))

def logit(q):
    q = np.clip(q, 1e-7, 1 - 1e-7); return np.log(q / (1 - q))
raw = np.array([scores[int(r["customer_id"])] for r in rows])
t, pop = cal["trainingRate"], cal["populationRate"]
prior = 1 / (1 + np.exp(-(logit(raw) + np.log(pop / (1 - pop)) - np.log(t / (1 - t)))))
platt = 1 / (1 + np.exp(-(cal["slope"] * logit(raw) + cal["intercept"])))
profit = float((y[contact] * value).sum() - cost * contact.sum())
best = float(np.cumsum(y[np.argsort(-p, kind="stable")] * value - cost).max())
est = metrics["population"]
print(json.dumps({
    "auc": roc_auc_score(y, p), "brier": brier_score_loss(y, p), "ece": ece(y, p),
    "mean_p": float(p.mean()), "rate": float(y.mean()),
    "profit": profit, "best_profit": best, "profit_share_of_best": profit / best if best > 0 else float("nan"),
    "contacted": int(contact.sum()), "buyers_contacted": int(y[contact].sum()), "expected_buyers_contacted": float(p[contact].sum()),
    "profit_per_1000": 1000 * profit / len(y),
    "est_auc": est["rocAuc"], "est_brier": est["brier"], "est_ece": est["calibrationError"], "est_mean_p": est["meanProbability"],
    "est_profit_per_1000": est["campaign"]["profitPer1000"],
    "method": cal["method"], "uncalibrated_brier": brier_score_loss(y, raw), "uncalibrated_ece": ece(y, raw),
    "prior_brier": brier_score_loss(y, prior), "prior_ece": ece(y, prior), "platt_brier": brier_score_loss(y, platt), "platt_ece": ece(y, platt),
}))
