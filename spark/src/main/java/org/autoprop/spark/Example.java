package org.autoprop.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * One labelled training or test sample: its features as a flat array in the model's input layout
 * (for an image {@code [C, H, W]}, row-major) and its class index. The array is not copied: do
 * not change it once the example is in a data set.
 */
public final class Example implements Serializable {
  private static final long serialVersionUID = 1L;

  private final float[] features;
  private final int label;

  private Example(float[] features, int label) {
    this.features = features;
    this.label = label;
  }

  /** An example with these features (not copied) and class index. */
  public static Example of(float[] features, int label) {
    return new Example(Objects.requireNonNull(features, "features"), label);
  }

  /** The features, flat, in the model's input layout (the live array). */
  public float[] features() {
    return features;
  }

  /** The class index. */
  public int label() {
    return label;
  }
}
