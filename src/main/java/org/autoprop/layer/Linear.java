package org.autoprop.layer;

/** Luma's linear activation: y = x, exactly as {@link Identity}, under its own type name. */
public final class Linear extends Identity {
  /** A linear (identity) activation. */
  public Linear() {}

  @Override
  public String typeName() {
    return "Linear";
  }
}
