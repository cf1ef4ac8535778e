#!/usr/bin/env python3
"""Evaluates an `ist` model file on Fashion-MNIST with numpy alone, as any user could: no project code.

    evaluate_model.py MODEL.safetensors [DATA_DIR]

The model takes raw features (pixels in [0, 1]) and returns logits: layers.0 .. layers.N-1, each
y = x W^T + b, ReLU between layers. Prints the test accuracy and the file's metadata.
"""
import gzip
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_size])
    metadata = header.pop("__metadata__", {})
    body = data[8 + header_size :]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(info["shape"])
    return tensors, metadata


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data[4 + 4 * dims :], dtype=np.uint8).reshape(shape)


def main():
    model_path = sys.argv[1]
    data_dir = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    tensors, metadata = read_safetensors(model_path)
    layers = sum(1 for name in tensors if name.endswith(".weight"))
    images = read_idx(data_dir + "/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    labels = read_idx(data_dir + "/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    x = images
    for l in range(layers):
        x = x @ tensors[f"layers.{l}.weight"].T + tensors[f"layers.{l}.bias"]
        if l + 1 < layers:
            x = np.maximum(x, 0.0)
    accuracy = float((x.argmax(axis=1) == labels).mean())
    print(json.dumps({"test_accuracy": accuracy, "metadata": metadata}))


if __name__ == "__main__":
    main()
