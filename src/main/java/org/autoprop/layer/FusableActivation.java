package org.autoprop.layer;

/**
 * An elementwise activation that a preceding layer may apply in its own output pass instead of
 * running it: the activation says which function it is, and a {@link FusesNext} layer matches
 * that against the functions its kernels can apply (so a layer is never recognised by its
 * class). A fused activation's own forward and backward are skipped; it must have no parameters.
 */
public interface FusableActivation extends Layer {
  /** The elementwise functions some layer can apply in its own pass; one constant per function. */
  enum Kind {
    /** {@code max(x, 0)}. */
    RELU
  }

  /** Which function this activation applies to each element. */
  Kind kind();
}
