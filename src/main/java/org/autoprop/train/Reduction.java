package org.autoprop.train;

/** How a loss combines its per-element (or per-sample) terms into one number. */
public enum Reduction {
  /** The mean over samples (classification losses) or over elements (elementwise losses). */
  MEAN,
  /** The plain sum. */
  SUM
}
