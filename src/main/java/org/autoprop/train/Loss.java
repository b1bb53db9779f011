package org.autoprop.train;

import org.autoprop.tensor.Tensor;

/**
 * A scalar loss of a model output against a target of type {@code T} ({@code int[]} class labels
 * or a {@link Tensor}).
 *
 * <p>{@link #forward} computes the loss and keeps what {@link #backward} needs; {@link #backward}
 * returns d(loss)/d(input) of the latest forward. The returned gradient is owned by the loss and
 * reused while the input shape stays the same: it is valid until the next {@code backward}.
 * Neither method writes into its arguments.
 *
 * <p>The losses that take {@link Reduction#NONE} also give their unreduced terms
 * ({@code losses()}, PyTorch's output with {@code reduction='none'}) and
 * {@code backward(upstream)}, the gradient of {@code sum(upstream * losses())}. A loss of two
 * predictions ({@link CosineEmbeddingLoss}) has its own two-input form.
 *
 * @param <T> the target type
 */
public interface Loss<T> {
  /** Computes the loss of {@code input} against {@code target}. */
  double forward(Tensor input, T target);

  /** The gradient of the latest {@link #forward}'s loss with respect to its input. */
  Tensor backward();

  /** A short name for messages and logs ({@code CrossEntropy(mean)}). */
  String name();
}
