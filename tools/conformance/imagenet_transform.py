#!/usr/bin/python3
"""Writes the reference of `predict`'s image preparation (cli.ImageNetInput): torchvision 0.14's
ImageNet evaluation transform, Resize(256) then CenterCrop(224), on a synthetic picture.

    /usr/bin/python3 tools/conformance/imagenet_transform.py

writes src/test/resources/conformance/imagenet_input.png (a 333x280 RGB picture: gradients, a
checkerboard and noise, so that both the averaging of the downscale and the crop's position show) and
imagenet_expected.png (PIL's resized and cropped 224x224 8-bit image, what ToTensor reads before
Normalize). Both PNG, lossless.
"""
import os

import numpy as np
from PIL import Image
from torchvision import transforms

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "src", "test", "resources", "conformance"))

rng = np.random.default_rng(7)
h, w = 280, 333
y, x = np.mgrid[0:h, 0:w]
r = (x * 255 // (w - 1)).astype(np.int32)
g = (y * 255 // (h - 1)).astype(np.int32)
b = np.where(((x // 7) + (y // 5)) % 2 == 0, 230, 20) + rng.integers(-20, 21, size=(h, w))
img = np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)
picture = Image.fromarray(img, "RGB")
picture.save(os.path.join(OUT, "imagenet_input.png"))
prepared = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])(picture)
assert prepared.size == (224, 224)
prepared.save(os.path.join(OUT, "imagenet_expected.png"))
print("imagenet_input.png", picture.size, "imagenet_expected.png", prepared.size)
