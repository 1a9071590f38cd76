#!/usr/bin/python3
"""What feature encodings do to the network on this data, and whether the gain carries over to customers balancing
left out. The recipe (3x50 ReLU, Adam 1e-3, batch 100, patience 2) in PyTorch on numpy's splits, per seed:

  balanced test accuracy   on the 10 % test split of the balanced rows (what `churn run` reports)
  left-out AUC             ROC AUC on the test rows plus every non-buyer balancing left out (the population the
                           app would advertise to is imbalanced, and mostly non-buyers)
  left-out correct         share of those left-out non-buyers the model calls non-buyers

Encodings: raw (standardized, the recipe), log (ln(1 + x) of the seven skewed features first, `--log-features
skewed`), log+values (log plus one indicator column per value of price and review score and book length that occurs
at least 10 times: what lets a smooth network pick out exact prices as a tree does), and gradient boosting for comparison.

usage: bench/reference/features.py CSV [SEEDS=20]     (Debian's python3 with python3-torch, -sklearn, -numpy)
"""
import sys
import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

torch.set_num_threads(1)
SKEWED = [0, 1, 2, 3, 7, 8, 9]          # lengths, prices, minutes listened, support requests, last visit
VALUE_COLUMNS = [2, 3, 5, 0]             # price avg, price total, review score, book length avg


def encode(x, kind):
    if kind in ("raw", "trees"):
        return x
    out = x.copy()
    out[:, SKEWED] = np.log1p(out[:, SKEWED])
    if kind == "log+values":
        extra = []
        for j in VALUE_COLUMNS:
            values, counts = np.unique(x[:, j], return_counts=True)
            extra.append((x[:, j][:, None] == values[counts >= 10][None, :]).astype(float))
        out = np.concatenate([out] + extra, axis=1)
    return out


def balance(y, mode, rng):
    ones, zeros = np.where(y == 1)[0], np.where(y == 0)[0]
    kept = zeros[:len(ones)] if mode == "first" else np.sort(rng.choice(zeros, len(ones), replace=False))
    return np.sort(np.concatenate([ones, kept]))


def recipe(train, val, seed):
    torch.manual_seed(seed)
    layers, d = [], train[0].shape[1]
    for _ in range(3):
        layers += [torch.nn.Linear(d, 50), torch.nn.ReLU()]
        d = 50
    model = torch.nn.Sequential(*layers, torch.nn.Linear(d, 2))
    opt, lossf = torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss()
    xt, yt = torch.tensor(train[0], dtype=torch.float32), torch.tensor(train[1])
    xv, yv = torch.tensor(val[0], dtype=torch.float32), torch.tensor(val[1])
    best, bad, state = float("inf"), 0, None
    for _ in range(100):
        model.train()
        for i in range(0, len(yt), 100):
            opt.zero_grad()
            lossf(model(xt[i:i + 100]), yt[i:i + 100]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            vl = lossf(model(xv), yv).item()
        if vl < best - 1e-4:
            best, bad, state = vl, 0, {k: v.clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= 2:
                break
    model.load_state_dict(state)
    return lambda x: torch.softmax(model(torch.tensor(x, dtype=torch.float32)), 1)[:, 1].detach().numpy()


def evaluate(x_raw, y, mode, kind, seeds):
    x_all = encode(x_raw, kind)
    acc, auc, correct = [], [], []
    for s in seeds:
        rng = np.random.default_rng(s)
        keep = balance(y, mode, rng)
        left_out = np.setdiff1d(np.arange(len(y)), keep)
        xb, yb = x_all[keep], y[keep]
        mu, sd = xb.mean(0), xb.std(0)
        sd[sd == 0] = 1
        xb, xl = (xb - mu) / sd, (x_all[left_out] - mu) / sd
        p = rng.permutation(len(yb))
        xb, yb = xb[p], yb[p]
        n = len(yb); a = int(0.8 * n); b = a + int(0.1 * n)
        if kind == "trees":
            m = HistGradientBoostingClassifier(random_state=s).fit(xb[:a], yb[:a])
            score = lambda x: m.predict_proba(x)[:, 1]
        else:
            score = recipe((xb[:a], yb[:a]), (xb[a:b], yb[a:b]), s)
        pt, pl = score(xb[b:]), score(xl)
        acc.append(((pt >= 0.5) == yb[b:]).mean())
        auc.append(roc_auc_score(np.concatenate([yb[b:], y[left_out]]), np.concatenate([pt, pl])))
        correct.append((pl < 0.5).mean())
    return np.mean(acc), np.std(acc) / np.sqrt(len(acc)), np.mean(auc), np.mean(correct)


def main():
    raw = np.loadtxt(sys.argv[1], delimiter=",")
    x, y = raw[:, 1:-1], raw[:, -1].astype(int)
    seeds = range(int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    print(f"{'balance':8} {'encoding':11} {'balanced test acc':>20} {'left-out AUC':>13} {'left-out correct':>17}   ({len(seeds)} seeds)")
    for mode in ("first", "random"):
        for kind in ("raw", "log", "log+values", "trees"):
            a, se, auc, correct = evaluate(x, y, mode, kind, seeds)
            print(f"{mode:8} {kind:11} {a:13.4f} ± {se:.4f} {auc:13.4f} {correct:17.4f}", flush=True)


if __name__ == "__main__":
    main()
