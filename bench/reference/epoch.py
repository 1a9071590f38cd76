"""Seconds per training epoch of churn's two networks in PyTorch, on churn's own training and validation splits.

An epoch is what churn's trainer does in one: the training rows in split order in batches of BATCH, Adam, then the
loss and accuracy of the whole training and validation splits without gradients, and a copy of the weights when the
validation loss improved.
  plain: the notebook's network, DEPTH hidden layers of WIDTH ReLU units (torch.nn.Linear) and two logits, Adam at LR.
  plr:   bench/reference/plr.py's network (MEMBERS members as one batched computation, one-cycle schedule).

usage: epoch.py plain|plr NPZ_DIR PREFIX EPOCHS   prints one epoch's seconds per line (every epoch, the first included)
Settings by environment: plr.py's (MEMBERS K SIGMA D WIDTH DEPTH BATCH PEAK SEED) and LR (plain, default 0.001).
Needs Debian's python3-numpy and python3-torch.
"""
import os, sys, time
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import plr  # noqa: E402  (sets one torch thread, as churn trains)


def plain(x, y, xv, yv, epochs, on_epoch):
    torch.manual_seed(plr.SEED)
    layers, width = [], x.shape[1]
    for _ in range(plr.DEPTH):
        layers += [torch.nn.Linear(width, plr.WIDTH), torch.nn.ReLU()]
        width = plr.WIDTH
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, 2))
    opt = torch.optim.Adam(net.parameters(), lr=float(os.environ.get("LR", 1e-3)))
    x, y, xv, yv = map(torch.from_numpy, (x, y, xv, yv))
    best = float("inf")
    for epoch in range(epochs):
        t0 = time.perf_counter()
        net.train()
        for s in range(0, len(x), plr.BATCH):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[s:s + plr.BATCH]), y[s:s + plr.BATCH]).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            measured = []
            for xs, ys in ((x, y), (xv, yv)):
                out = net(xs)
                measured.append((torch.nn.functional.cross_entropy(out, ys).item(), (out.argmax(1) == ys).float().mean().item()))
        if measured[1][0] < best:
            best, state = measured[1][0], {k: v.clone() for k, v in net.state_dict().items()}
        on_epoch(epoch, time.perf_counter() - t0)


if __name__ == "__main__":
    network, folder, prefix, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    npz = lambda split: np.load(f"{folder}/{prefix}_{split}.npz")
    tr, va = npz("train"), npz("validation")
    args = (tr["inputs"].astype(np.float32), tr["targets"].astype(np.int64), va["inputs"].astype(np.float32), va["targets"].astype(np.int64))
    times = []
    if network == "plain":
        plain(*args, epochs, lambda e, t: times.append(t))
    else:
        plr.EPOCHS = epochs
        plr.train(*args, on_epoch=lambda e, t: times.append(t))
    print("\n".join(f"{t:.6f}" for t in times))
