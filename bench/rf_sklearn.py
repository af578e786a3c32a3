"""Reference figures for sealtrain-rf: scikit-learn's RandomForestClassifier with the
recipe's settings on the same train/test files. Prints one JSON line.

usage: /usr/bin/python3 bench/rf_sklearn.py TRAIN.csv TEST.csv [N_JOBS]
(Debian's python3-sklearn; a python3 from elsewhere may lack scikit-learn.)"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    label = header.index("label")
    y = data[:, label].astype(np.int64)
    x = np.delete(data, label, axis=1).astype(np.float32)
    return x, y


def main():
    train, test = sys.argv[1], sys.argv[2]
    jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    t0 = time.time()
    xtr, ytr = load(train)
    xte, yte = load(test)
    load_s = time.time() - t0
    model = RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=jobs)
    t0 = time.time()
    model.fit(xtr, ytr)
    fit_s = time.time() - t0
    t0 = time.time()
    pred = model.predict(xte)
    predict_s = time.time() - t0
    nodes = sum(e.tree_.node_count for e in model.estimators_)
    depth = max(e.tree_.max_depth for e in model.estimators_)
    print(json.dumps({"accuracy": float((pred == yte).mean()), "fit_seconds": round(fit_s, 3),
                      "predict_seconds": round(predict_s, 3), "load_seconds": round(load_s, 3),
                      "nodes": int(nodes), "max_depth": int(depth), "n_jobs": jobs}))


if __name__ == "__main__":
    main()
