"""pandas + numpy + PyTorch scoring a customer file with churn's network, for the streaming scoring benchmark.

usage:
  predict_stream.py score MODEL_DIR EXPORT.json IN OUT.csv          the model's scaler (model.json), the network's layers
                                                                    and calibration (churn bench explain-export) in PyTorch:
                                                                    reads IN (CSV, or Parquet where pyarrow is installed) with pandas, writes churn
                                                                    predict's columns; prints the seconds it took
"""
import json
import sys
import time

import numpy as np

FEATURES = ["book_length_avg_min", "book_length_total_min", "price_avg", "price_total", "review", "review_score",
            "completion", "minutes_listened", "support_requests", "last_visit_days"]


def score(model_dir, export_file, path, out):
    import pandas as pd
    import torch
    start = time.perf_counter()
    torch.set_grad_enabled(False)
    model = json.load(open(f"{model_dir}/model.json"))
    export = json.load(open(export_file))
    scaler = model["scaler"]
    layers = []
    for layer in export["layers"]:
        linear = torch.nn.Linear(layer["inputs"], layer["outputs"])
        linear.weight.copy_(torch.tensor(layer["weight"], dtype=torch.float32).reshape(layer["outputs"], layer["inputs"]))
        linear.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float32))
        layers.append(linear)
    activation = torch.nn.ReLU() if export["activation"] == "relu" else torch.nn.Tanh()
    network = torch.nn.Sequential(*sum(([l, activation] for l in layers[:-1]), []), layers[-1]).eval()

    frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    x = frame[FEATURES].to_numpy(dtype=np.float64)
    logged = [FEATURES.index(f) for f in scaler.get("logFeatures") or []]
    x[:, logged] = np.log1p(x[:, logged])
    x = (x - np.array(scaler["means"])) / np.array(scaler["stds"])
    raw = torch.softmax(network(torch.from_numpy(x.astype(np.float32))), dim=1)[:, 1].double().numpy()
    eps = export["epsilon"]
    clipped = np.clip(raw, eps, 1 - eps)
    p = 1 / (1 + np.exp(-(export["slope"] * np.log(clipped / (1 - clipped)) + export["intercept"])))
    pd.DataFrame({"customer_id": frame["customer_id"], "probability": p, "uncalibrated": raw, "predicted": (p >= 0.5).astype(int)}) \
        .to_csv(out, index=False, float_format="%.6f")
    print(f"{time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    score(*sys.argv[2:6])
