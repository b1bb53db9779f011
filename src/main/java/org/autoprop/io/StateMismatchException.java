package org.autoprop.io;

import java.util.List;

/**
 * Saved state that does not fit a model (or optimizer): every missing name, unexpected name and
 * shape mismatch, reported together. Thrown before anything is changed.
 */
public final class StateMismatchException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> missing;
  private final List<String> unexpected;
  private final List<String> mismatched;
  private final String hint;

  StateMismatchException(String what, List<String> missing, List<String> unexpected, List<String> mismatched) {
    this(what, missing, unexpected, mismatched, null);
  }

  StateMismatchException(String what, List<String> missing, List<String> unexpected, List<String> mismatched,
      String hint) {
    super(message(what, missing, unexpected, mismatched, hint));
    this.missing = List.copyOf(missing);
    this.unexpected = List.copyOf(unexpected);
    this.mismatched = List.copyOf(mismatched);
    this.hint = hint == null ? "" : hint;
  }

  private static String message(String what, List<String> missing, List<String> unexpected, List<String> mismatched,
      String hint) {
    StringBuilder sb = new StringBuilder(what);
    sb.append(": ").append(missing.size()).append(" missing ").append(missing);
    sb.append(", ").append(unexpected.size()).append(" unexpected ").append(unexpected);
    sb.append(", ").append(mismatched.size()).append(" shape mismatches ").append(mismatched);
    if (hint != null) {
      sb.append("; ").append(hint);
    }
    return sb.toString();
  }

  /**
   * How the names would match, when they differ only by a common prefix (e.g. a checkpoint's
   * {@code model.}), or an empty string.
   *
   * @return the hint, also at the end of the message
   */
  public String hint() {
    return hint;
  }

  /** Names the model needs that the saved state lacks. */
  public List<String> missing() {
    return missing;
  }

  /** Names in the saved state that the model does not have. */
  public List<String> unexpected() {
    return unexpected;
  }

  /** {@code name saved-shape (expected: model-shape)} for each mismatch. */
  public List<String> mismatched() {
    return mismatched;
  }
}
