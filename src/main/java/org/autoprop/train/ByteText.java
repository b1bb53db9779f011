package org.autoprop.train;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A text as bytes, for a byte-level language model: windows of {@code context + 1} bytes give an
 * input of {@code context} token ids (as exact floats, what {@code Embedding} takes) and the
 * targets, the same window shifted by one. Training windows start at random offsets; validation
 * windows are consecutive and non-overlapping, so a validation loss is a fixed set of predictions.
 */
public final class ByteText {
  private final byte[] bytes;
  private final int context;

  /**
   * @param bytes the text (not copied)
   * @param context tokens per window
   * @throws IllegalArgumentException if the text is shorter than one window
   */
  public ByteText(byte[] bytes, int context) {
    this.bytes = Objects.requireNonNull(bytes, "bytes");
    if (context < 1) {
      throw new IllegalArgumentException("ByteText: context " + context + " (expected: >= 1)");
    }
    if (bytes.length < context + 1) {
      throw new IllegalArgumentException("ByteText: " + bytes.length + " bytes (expected: at least one window of "
          + (context + 1) + ")");
    }
    this.context = context;
  }

  /** The number of bytes. */
  public int size() {
    return bytes.length;
  }

  /** Tokens per window. */
  public int context() {
    return context;
  }

  /** The first {@code fraction} of the text and the rest, as two texts with this context. */
  public ByteText[] split(double fraction) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("ByteText.split: fraction " + fraction + " (expected: 0 < fraction < 1)");
    }
    int cut = (int) ((long) bytes.length * Math.round(fraction * 1000) / 1000);
    return new ByteText[] {
        new ByteText(Arrays.copyOfRange(bytes, 0, cut), context),
        new ByteText(Arrays.copyOfRange(bytes, cut, bytes.length), context)};
  }

  /** How many consecutive non-overlapping windows the text holds. */
  public int windows() {
    return bytes.length / (context + 1);
  }

  /**
   * Fills {@code ids} ([batch, context]) and {@code targets} (batch * context) with windows at
   * random offsets drawn from {@code random}.
   */
  public void randomBatch(SplittableRandom random, Tensor ids, int[] targets) {
    int batch = checkBatch(ids, targets);
    for (int b = 0; b < batch; b++) {
      fill(random.nextInt(bytes.length - context), b, ids, targets);
    }
  }

  /**
   * Fills {@code ids} and {@code targets} with the consecutive windows {@code first, first + 1, ...}.
   *
   * @throws IllegalArgumentException if the text has fewer windows
   */
  public void windowBatch(int first, Tensor ids, int[] targets) {
    int batch = checkBatch(ids, targets);
    if (first < 0 || first + batch > windows()) {
      throw new IllegalArgumentException("ByteText: windows " + first + ".." + (first + batch - 1)
          + " (expected: within the " + windows() + " windows of " + (context + 1) + " bytes)");
    }
    for (int b = 0; b < batch; b++) {
      fill((first + b) * (context + 1), b, ids, targets);
    }
  }

  private int checkBatch(Tensor ids, int[] targets) {
    Shape s = ids.shape();
    if (s.rank() != 2 || s.dim(1) != context || !ids.isContiguous()) {
      throw new IllegalArgumentException("ByteText: ids " + s + " (expected: a contiguous [batch, " + context + "])");
    }
    if (targets.length != s.dim(0) * context) {
      throw new IllegalArgumentException("ByteText: targets of length " + targets.length + " (expected: "
          + s.dim(0) * context + ")");
    }
    return s.dim(0);
  }

  private void fill(int start, int b, Tensor ids, int[] targets) {
    float[] d = ids.data();
    int o = ids.offset() + b * context;
    for (int t = 0; t < context; t++) {
      d[o + t] = bytes[start + t] & 0xFF;
      targets[b * context + t] = bytes[start + t + 1] & 0xFF;
    }
  }
}
