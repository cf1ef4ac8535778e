#!/usr/bin/env python3
"""Writes a small slice of Fashion-MNIST in the formats `ist` reads besides IDX, as a data scientist's
script would hand them over:

    make_small_datasets.py OUT_DIR [TRAIN_EXAMPLES] [TEST_EXAMPLES] [IDX_DIR]

OUT_DIR/train.npz, test.npz      (np.savez: arrays x float32 in [0, 1], y int64)
OUT_DIR/train_x.npy, train_y.npy, test_x.npy, test_y.npy   (np.save)
OUT_DIR/train.csv, test.csv      (a header row: p0..p783 and "label" last)
"""
import gzip
import os
import struct
import sys

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data[4 + 4 * dims :], dtype=np.uint8).reshape(shape)


def main():
    out = sys.argv[1]
    n_train = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    n_test = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    idx = sys.argv[4] if len(sys.argv) > 4 else "/usr/share/datasets/fashion-mnist"
    os.makedirs(out, exist_ok=True)
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        x = read_idx(f"{idx}/{prefix}-images-idx3-ubyte.gz")[:n].reshape(n, -1).astype(np.float32) / np.float32(255)
        y = read_idx(f"{idx}/{prefix}-labels-idx1-ubyte.gz")[:n].astype(np.int64)
        np.savez(f"{out}/{split}.npz", x=x, y=y)
        np.save(f"{out}/{split}_x.npy", x)
        np.save(f"{out}/{split}_y.npy", y)
        header = ",".join([f"p{i}" for i in range(x.shape[1])] + ["label"])
        table = np.concatenate([x.astype(np.float64), y[:, None].astype(np.float64)], axis=1)
        np.savetxt(f"{out}/{split}.csv", table, delimiter=",", header=header, comments="", fmt="%.9g")
    print(f"wrote {n_train} training and {n_test} test examples to {out}")


if __name__ == "__main__":
    main()
