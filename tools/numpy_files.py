#!/usr/bin/python3
"""Writes the .npy / .npz files that NpyTest reads, with numpy itself, into src/test/resources/npy.

    /usr/bin/python3 tools/numpy_files.py

Each good file comes with its expected content in manifest.json: dtype, shape, and the elements in
C (row-major) order as numpy's ravel(order='C') gives them, so the Java test compares what it read
against numpy's own reading of the same file. The bad files are numpy's output for dtypes AutoProp
refuses (object, float16, bool, complex, structured). Deterministic (seeded); re-running rewrites
the same bytes.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "npy")


def values(a):
    flat = a.ravel(order="C")
    if a.dtype.kind == "f":
        # float32 -> the same value as a double, printed exactly; JSON has no NaN or infinities
        return [float(x) if np.isfinite(x) else str(float(x)) for x in flat]
    return [int(x) for x in flat]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(14)
    manifest = {}

    def good(name, a, version=None):
        path = os.path.join(OUT, name + ".npy")
        if version is None:
            np.save(path, a)
        else:
            with open(path, "wb") as f:
                np.lib.format.write_array(f, a, version=version)
        back = np.load(path)
        assert back.dtype == a.dtype and back.shape == a.shape and np.array_equal(back, a, equal_nan=a.dtype.kind == "f")
        manifest[name] = {"dtype": a.dtype.str[1:], "shape": list(a.shape), "values": values(a),
                          "fortran": bool(a.flags.f_contiguous and not a.flags.c_contiguous)}

    f32 = rng.standard_normal((2, 3)).astype(np.float32)
    good("f32_c", f32)
    good("f64_c", rng.standard_normal((3, 2)))
    good("i64_labels", rng.integers(0, 10, size=7).astype(np.int64))
    good("i64_big", np.array([2**62, -2**40 - 1, 3, 2**24 + 1], dtype=np.int64))
    good("i32", rng.integers(-1000, 1000, size=(2, 2, 2)).astype(np.int32))
    good("u8_image", rng.integers(0, 256, size=(2, 1, 3, 3)).astype(np.uint8))
    good("f32_be", rng.standard_normal((2, 3)).astype(">f4"))
    good("f64_be", rng.standard_normal((4,)).astype(">f8"))
    good("i64_be", rng.integers(-5, 5, size=(3,)).astype(">i8"))
    good("i32_be", rng.integers(-5, 5, size=(2, 2)).astype(">i4"))
    good("f32_fortran", np.asfortranarray(rng.standard_normal((2, 3, 4)).astype(np.float32)))
    good("f64_fortran", np.asfortranarray(rng.standard_normal((3, 5))))
    good("i64_fortran", np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)))
    good("u8_fortran", np.asfortranarray(np.arange(24, dtype=np.uint8).reshape(2, 3, 4)))
    good("f64_0d", np.array(2.5))
    good("f32_empty", np.zeros((0, 3), dtype=np.float32))
    good("f32_rank5", rng.standard_normal((1, 2, 1, 2, 3)).astype(np.float32))
    good("f32_special", np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45], dtype=np.float32))
    good("f32_v2", rng.standard_normal((2, 2)).astype(np.float32), version=(2, 0))
    good("f64_v3", rng.standard_normal((3,)), version=(3, 0))
    good("f64_labels", np.array([0.0, 3.0, 1.0, 2.0]))
    good("f64_fraction", np.array([1.0, 0.1, 2.0]))

    np.save(os.path.join(OUT, "bad_object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
    np.save(os.path.join(OUT, "bad_f16.npy"), np.ones(3, dtype=np.float16))
    np.save(os.path.join(OUT, "bad_bool.npy"), np.array([True, False]))
    np.save(os.path.join(OUT, "bad_complex.npy"), np.ones(2, dtype=np.complex64))
    np.save(os.path.join(OUT, "bad_structured.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<i8")]))

    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.integers(0, 5, size=3).astype(np.int64)
    c = np.asfortranarray(rng.standard_normal((2, 3)))
    np.savez(os.path.join(OUT, "stored.npz"), x=a, y=b, z=c)
    np.savez_compressed(os.path.join(OUT, "deflated.npz"), x=a, y=b, z=c)
    manifest["npz"] = {k: {"dtype": v.dtype.str[1:], "shape": list(v.shape), "values": values(v),
                           "fortran": bool(v.flags.f_contiguous and not v.flags.c_contiguous)}
                       for k, v in (("x", a), ("y", b), ("z", c))}

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
