package org.autoprop.layer;

import java.util.Objects;

/**
 * The fusion pass shared by {@link Sequential} and {@code LayerGraph}: along an execution order,
 * a {@link FusesNext} layer takes in the step that alone consumes its output, then (through the
 * fused layer, if that absorbs too) the step after, and so on. The containers pass the absorbed
 * steps' input straight through, forward and backward. BatchNorm2D followed by ReLU is the one
 * such pair today; the numbers are the same as unfused, in one pass instead of two.
 */
public final class Fusion {
  /** The system property giving the default of fusion: {@code -Dautoprop.fuse=false} turns it off. */
  public static final String PROPERTY = "autoprop.fuse";

  /**
   * Whether {@code LayerGraph} and {@code Sequential} fuse unless told otherwise: true unless
   * {@value #PROPERTY} is {@code false}; read once.
   */
  public static final boolean BY_DEFAULT = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());

  private Fusion() {}

  /**
   * What each step of an execution order runs once fused.
   *
   * @param steps the layers, in execution order
   * @param next for each step, the later step that is the only consumer of its output and has no
   *     other input, or -1 (the last step of a chain, a fan-out, a merge)
   * @return per step: its layer, or the fused layer for the first step of a fused run, or null for
   *     a step that run absorbed (the caller passes its input through)
   * @throws IllegalArgumentException if the arrays differ in length or {@code next} points back
   */
  public static Layer[] plan(Layer[] steps, int[] next) {
    Objects.requireNonNull(steps, "steps");
    Objects.requireNonNull(next, "next");
    if (steps.length != next.length) {
      throw new IllegalArgumentException("Fusion.plan: " + steps.length + " steps but " + next.length
          + " links (expected: one link per step)");
    }
    for (int k = 0; k < next.length; k++) {
      if (next[k] != -1 && (next[k] <= k || next[k] >= next.length)) {
        throw new IllegalArgumentException("Fusion.plan: step " + k + " links to step " + next[k]
            + " (expected: -1 or a later step, < " + next.length + ")");
      }
    }
    Layer[] run = steps.clone();
    for (int k = 0; k < run.length; k++) {
      if (run[k] == null) {
        continue; // absorbed by an earlier step
      }
      for (int r = next[k]; r >= 0 && run[k] instanceof FusesNext first; r = next[r]) {
        Layer fused = first.fuseWith(steps[r]);
        if (fused == null) {
          break;
        }
        run[k] = fused;
        run[r] = null;
      }
    }
    return run;
  }
}
