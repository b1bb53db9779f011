#!/usr/bin/python3
"""Writes the embedded Fashion-MNIST subset from the full data set.

    apt-get install dataset-fashion-mnist     # IDX files under /usr/share/datasets/fashion-mnist
    /usr/bin/python3 data/fashion-mnist-subset/make_subset.py [SOURCE_DIR]

Takes the first TRAIN training images/labels and the first TEST test images/labels, in the
original order, and writes them as gzip IDX files next to this script (gzip mtime 0, so the
output is byte-for-byte reproducible).
"""
import gzip
import os
import struct
import sys

TRAIN, TEST = 5000, 1000
SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))


def read(name):
    with gzip.open(os.path.join(SRC, name), "rb") as f:
        return f.read()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(data)


def subset(images, labels, count, prefix):
    im = read(images)
    magic, n, rows, cols = struct.unpack(">IIII", im[:16])
    assert magic == 0x803 and n >= count, (images, magic, n)
    lb = read(labels)
    magic, m = struct.unpack(">II", lb[:8])
    assert magic == 0x801 and m == n, (labels, magic, m)
    write(prefix + "-images-idx3-ubyte.gz", struct.pack(">IIII", 0x803, count, rows, cols) + im[16:16 + count * rows * cols])
    write(prefix + "-labels-idx1-ubyte.gz", struct.pack(">II", 0x801, count) + lb[8:8 + count])
    counts = [0] * 10
    for b in lb[8:8 + count]:
        counts[b] += 1
    print(prefix, count, "images, per class", counts)


subset("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", TRAIN, "train")
subset("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", TEST, "t10k")
