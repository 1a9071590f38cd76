"""Distillation of the PLR members in PyTorch, to check what it keeps before churn does it.

usage: plr_distil.py SPLIT_DIR   (a split from `model_bench.py split`: train.csv, score.csv, answers.csv)
Trains the 4 members (plr.py's settings) on 90 % of train.csv, early stopping and Platt scaling on the other 10 %;
then one network on the members' mean probabilities (SE epochs, default 24), and one network on the labels for as
long. Prints one JSON object: ROC AUC, Brier, calibration error and profit on score.csv for "ens4", "student", "single".
  for s in 0 1; do python3 bench/reference/model_bench.py split data/Audiobooks_data.csv $s /tmp/s$s;
                   OMP_NUM_THREADS=1 python3 bench/reference/plr_distil.py /tmp/s$s; done
Needs Debian's python3-numpy, python3-torch and python3-sklearn.
"""
import math, os, sys, json
import numpy as np, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plr
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from model_bench import figures
torch.set_num_threads(1)
out = sys.argv[1]
STUDENT_EPOCHS = int(os.environ.get("SE", 24))
tr = np.loadtxt(f"{out}/train.csv", delimiter=","); sc = np.loadtxt(f"{out}/score.csv", delimiter=",")
ans = np.loadtxt(f"{out}/answers.csv", delimiter=",")
x, y = tr[:, 1:11], tr[:, 11].astype(np.int64)
xt, xv, yt, yv = train_test_split(x, y, test_size=0.1, stratify=y, random_state=0)
std = plr.standardizer(xt)
Xt, Xv, Xs = std(xt), std(xv), std(sc[:, 1:11]); ys = ans[:, 1].astype(int)
def platt(pv, yv, ps):
    lg = lambda p: np.log(np.clip(p,1e-7,1-1e-7)/(1-np.clip(p,1e-7,1-1e-7)))
    m = LogisticRegression(C=1e6).fit(lg(pv)[:, None], yv)
    return m.predict_proba(lg(ps)[:, None])[:, 1]
res = {}
net = plr.train(Xt, yt, Xv, yv)
pt, pv, ps = plr.probabilities(net, Xt), plr.probabilities(net, Xv), plr.probabilities(net, Xs)
res["ens4"] = figures(ys, platt(pv, yv, ps))
# student: one member on soft targets
plr.MEMBERS = 1
def train_soft(x, q, xv, yv, epochs):
    g = torch.Generator().manual_seed(plr.SEED + 1)
    n = plr.Plr(x.shape[1], g)
    opt = torch.optim.Adam(n.parameters(), lr=plr.PEAK)
    x, q, xv, yv = torch.from_numpy(x), torch.from_numpy(q.astype(np.float32)), torch.from_numpy(xv), torch.from_numpy(yv)
    steps = epochs * math.ceil(len(x) / plr.BATCH); best, state, step = 1e9, None, 0
    for e in range(epochs):
        n.train()
        for s in range(0, len(x), plr.BATCH):
            for gr in opt.param_groups: gr["lr"] = plr.one_cycle(step, steps)
            opt.zero_grad()
            lp = torch.log_softmax(n(x[s:s+plr.BATCH])[0], -1)
            qq = q[s:s+plr.BATCH]
            loss = -(qq * lp[:, 1] + (1 - qq) * lp[:, 0]).mean()
            loss.backward(); opt.step(); step += 1
        with torch.no_grad():
            n.eval(); v = torch.nn.functional.cross_entropy(n(xv)[0], yv).item()
        if v < best: best, state = v, {k: t.clone() for k, t in n.state_dict().items()}
    n.load_state_dict(state); return n
stu = train_soft(Xt, pt, Xv, yv, STUDENT_EPOCHS)
res["student"] = figures(ys, platt(plr.probabilities(stu, Xv), yv, plr.probabilities(stu, Xs)))
plr.EPOCHS = STUDENT_EPOCHS
single = plr.train(Xt, yt, Xv, yv)
res["single"] = figures(ys, platt(plr.probabilities(single, Xv), yv, plr.probabilities(single, Xs)))
print(json.dumps(res))
