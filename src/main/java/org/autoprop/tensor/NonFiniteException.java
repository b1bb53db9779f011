package org.autoprop.tensor;

/** A NaN or an infinity where only finite values are allowed; the message says where. */
public class NonFiniteException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  /** An exception with this message. */
  public NonFiniteException(String message) {
    super(message);
  }
}
