#!/usr/bin/python3
"""Writes src/main/resources/org/autoprop/zoo/imagenet_classes.txt: the 1000 ImageNet class names in
index order, one per line, as torchvision 0.14 lists them for its ImageNet weights
(torchvision.models._meta._IMAGENET_CATEGORIES; torchvision is BSD-3-Clause).

    /usr/bin/python3 tools/imagenet_classes.py
"""
import os

from torchvision.models._meta import _IMAGENET_CATEGORIES

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "main", "resources", "org", "autoprop", "zoo", "imagenet_classes.txt")

assert len(_IMAGENET_CATEGORIES) == 1000
with open(OUT, "w", encoding="utf-8") as f:
    for name in _IMAGENET_CATEGORIES:
        assert "\n" not in name
        f.write(name + "\n")
print(OUT)
