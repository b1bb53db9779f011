package org.autoprop.train;

/** How a loss combines its per-element (or per-sample) terms into one number. */
public enum Reduction {
  /** The mean over samples (classification losses) or over elements (elementwise losses). */
  MEAN,
  /** The plain sum. */
  SUM,
  /**
   * No reduction, PyTorch's {@code reduction='none'}: the loss keeps its terms (its
   * {@code losses()} tensor, what PyTorch returns) and {@code backward(upstream)} gives the
   * gradient of {@code sum(upstream * losses)}. {@code forward} returns the sum of the terms and
   * {@code backward()} its gradient, so a NONE loss still trains. The losses that predate it
   * (cross-entropy, NLL, MSE, BCE with logits) take MEAN or SUM only.
   */
  NONE
}
