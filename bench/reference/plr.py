"""The PLR network in PyTorch: the reference churn's default network is timed and judged against.

M members trained as one batched computation (members as a leading dimension): per behaviour, cos and sin of K learned
frequencies (initialized N(0, SIGMA)), a per-behaviour linear map to D values and a ReLU (PLR, Gorishniy et al. 2022),
then DEPTH hidden layers of WIDTH ReLU units and two logits; Adam with a one-cycle schedule (linear warm-up over the
first 30 % of the steps to PEAK, cosine down to PEAK / 1e4), EPOCHS epochs of batches of BATCH rows, the epoch with the
lowest validation loss kept. Every member sees the same batches; the loss is the sum of the members' mean losses, so
each member's gradient is what it would be alone.

usage:
  plr.py time NPZ_DIR PREFIX [EPOCHS]   seconds per epoch of the network on churn's own training and validation
                                        splits (PREFIX_train.npz, PREFIX_validation.npz: already standardized), median
                                        of the epochs after the first
  plr.py fit TRAIN_CSV VAL_CSV SCORE_CSV  trains and prints the members' mean P(buyer) for SCORE_CSV, one per line
Settings by environment: MEMBERS K SIGMA D WIDTH DEPTH BATCH EPOCHS PEAK SEED (defaults: churn's).
CSV files are the bundled file's shape (id, 10 behaviours, target) and are standardized as churn does by default
(ln(1 + x) for the skewed behaviours, then mean / standard deviation of the training rows).
Needs Debian's python3-numpy and python3-torch.
"""
import math, os, sys, time
import numpy as np
import torch

torch.set_num_threads(1)
E = lambda k, d: type(d)(os.environ.get(k, d))
MEMBERS, K, SIGMA, D = E("MEMBERS", 4), E("K", 16), E("SIGMA", 0.1), E("D", 8)
WIDTH, DEPTH, BATCH, EPOCHS, PEAK, SEED = E("WIDTH", 50), E("DEPTH", 3), E("BATCH", 100), E("EPOCHS", 24), E("PEAK", 3e-3), E("SEED", 0)
SKEWED = [0, 1, 2, 3, 7, 8, 9]  # churn's "skewed" behaviours (logFeatures auto), by column after the id


def load(path):
    a = np.loadtxt(path, delimiter=",", ndmin=2)
    return a[:, 1:11].copy(), (a[:, 11].astype(np.int64) if a.shape[1] > 11 else None)


def standardizer(x):
    x = x.copy(); x[:, SKEWED] = np.log1p(x[:, SKEWED])
    mean, std = x.mean(0), x.std(0); std[std == 0] = 1
    def apply(z):
        z = z.copy(); z[:, SKEWED] = np.log1p(z[:, SKEWED]); return ((z - mean) / std).astype(np.float32)
    return apply


class Plr(torch.nn.Module):
    def __init__(self, features, g):
        super().__init__()
        u = lambda shape, fan: torch.nn.Parameter((torch.rand(shape, generator=g) * 2 - 1) / math.sqrt(fan))
        self.freq = torch.nn.Parameter(torch.randn(MEMBERS, features, K, generator=g) * SIGMA)
        self.ew, self.eb = u((MEMBERS * features, 2 * K, D), 2 * K), u((MEMBERS, 1, features * D), 2 * K)
        widths = [features * D] + [WIDTH] * DEPTH + [2]
        self.w = torch.nn.ParameterList([u((MEMBERS, i, o), i) for i, o in zip(widths, widths[1:])])
        self.b = torch.nn.ParameterList([u((MEMBERS, 1, o), i) for i, o in zip(widths, widths[1:])])
        self.features = features

    def forward(self, x):  # x [B, F] -> logits [M, B, 2]
        m, f, b = MEMBERS, self.features, x.shape[0]
        v = (2 * math.pi) * x.t().reshape(1, f, b, 1) * self.freq.reshape(m, f, 1, K)
        e = torch.cat([torch.cos(v), torch.sin(v)], -1).reshape(m * f, b, 2 * K)
        h = torch.bmm(e, self.ew).reshape(m, f, b, D).permute(0, 2, 1, 3).reshape(m, b, f * D)
        h = torch.relu(h + self.eb)
        for i, (w, bias) in enumerate(zip(self.w, self.b)):
            h = torch.baddbmm(bias, h, w)
            if i < DEPTH:
                h = torch.relu(h)
        return h


def one_cycle(step, total):
    warm = max(1, int(0.3 * total))
    if step < warm:
        return PEAK / 25 + (PEAK - PEAK / 25) * step / warm
    t = (step - warm) / max(1, total - warm)
    return PEAK / 1e4 + (PEAK - PEAK / 1e4) * (1 + math.cos(math.pi * t)) / 2


def loss_of(logits, y):
    return torch.nn.functional.cross_entropy(logits.reshape(-1, 2), y.repeat(MEMBERS)) * MEMBERS


def train(x, y, xv, yv, on_epoch=None):
    g = torch.Generator().manual_seed(SEED)
    net = Plr(x.shape[1], g)
    opt = torch.optim.Adam(net.parameters(), lr=PEAK)
    x, y, xv, yv = map(torch.from_numpy, (x, y, xv, yv))
    steps = EPOCHS * math.ceil(len(x) / BATCH)
    best, state, step = float("inf"), None, 0
    for epoch in range(EPOCHS):
        t0 = time.perf_counter()
        net.train()
        for s in range(0, len(x), BATCH):
            for group in opt.param_groups:
                group["lr"] = one_cycle(step, steps)
            opt.zero_grad()
            loss_of(net(x[s:s + BATCH]), y[s:s + BATCH]).backward()
            opt.step(); step += 1
        with torch.no_grad():
            # As churn does after every epoch: the members' mean on the whole training and validation splits.
            net.eval()
            mean_loss = lambda xs, ys: torch.nn.functional.nll_loss(torch.softmax(net(xs), -1).mean(0).log(), ys).item()
            mean_loss(x, y)
            validation = mean_loss(xv, yv)
        if validation < best:
            best, state = validation, {k: v.clone() for k, v in net.state_dict().items()}
        if on_epoch:
            on_epoch(epoch, time.perf_counter() - t0)
    net.load_state_dict(state)
    return net


def probabilities(net, x):
    with torch.no_grad():
        return torch.softmax(net(torch.from_numpy(x)), -1)[:, :, 1].mean(0).numpy()


if __name__ == "__main__":
    if sys.argv[1] == "time":
        npz = lambda split: np.load(f"{sys.argv[2]}/{sys.argv[3]}_{split}.npz")
        tr, va = npz("train"), npz("validation")
        if len(sys.argv) > 4:
            EPOCHS = int(sys.argv[4])
        times = []
        train(tr["inputs"].astype(np.float32), tr["targets"], va["inputs"].astype(np.float32), va["targets"], lambda e, t: times.append(t))
        print(f"epochs {len(times)} median {np.median(times[1:]):.4f} s/epoch  min {min(times):.4f}  rows {len(tr['targets'])} members {MEMBERS}")
    else:
        x, y = load(sys.argv[2]); xv, yv = load(sys.argv[3]); xs, _ = load(sys.argv[4]); s = standardizer(x)
        net = train(s(x), y, s(xv), yv)
        print("\n".join(f"{p:.9g}" for p in probabilities(net, s(xs))))
