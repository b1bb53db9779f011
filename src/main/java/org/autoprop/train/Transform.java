package org.autoprop.train;

import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;

/**
 * A per-sample transform applied when a batch is filled ({@link Dataset#withTransform}): data
 * augmentation such as {@link Transforms#randomCrop random crops} and {@link Transforms#horizontalFlip
 * flips}, or a fixed map such as {@link Transforms#normalize normalisation}. Transforms compose with
 * {@link #then} (applied left to right, as torchvision's {@code Compose}).
 *
 * <p>A random transform draws only from the {@code random} it is given, which {@link Batches}
 * seeds from the pass's seed and the sample's index in the data set: the same seed gives the
 * same augmented batches, whatever the thread count and whether batches are prefetched. An
 * implementation must be stateless (it may be applied by a background thread).
 */
public interface Transform {
  /**
   * The shape of a transformed sample.
   *
   * @param sample the shape of one input sample (without the batch axis)
   * @throws IllegalArgumentException naming the transform and the shape if it cannot take it
   */
  Shape outputShape(Shape sample);

  /**
   * Transforms one sample: reads {@code sample.size()} values of {@code in} from {@code inAt}
   * and writes {@code outputShape(sample).size()} values of {@code out} from {@code outAt}. The
   * two ranges do not overlap.
   *
   * @param sample the input sample's shape, one {@link #outputShape} accepted
   * @param random the sample's generator: the only source of randomness
   */
  void apply(float[] in, int inAt, Shape sample, float[] out, int outAt, SplittableRandom random);

  /** This transform, then {@code next} on its output. */
  default Transform then(Transform next) {
    return Transforms.compose(this, next);
  }

  /** The transforms this one applies in order: itself, or the stages of a composition. */
  default List<Transform> stages() {
    return List.of(this);
  }
}
