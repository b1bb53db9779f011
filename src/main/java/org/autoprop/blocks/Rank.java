package org.autoprop.blocks;

import org.autoprop.layer.BatchNorm1D;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.BatchNorm3D;
import org.autoprop.layer.Conv1D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Conv3D;
import org.autoprop.layer.GlobalAvgPool1D;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.GlobalAvgPool3D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Pool1D;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.Pool3D;

/**
 * The number of spatial axes of a block's input ({@code [N, C, L]}, {@code [N, C, H, W]} or
 * {@code [N, C, D, H, W]}) and the layers of that rank the blocks are made of, so that each block
 * is written once for all three.
 */
enum Rank {
  ONE(1),
  TWO(2),
  THREE(3);

  /** Spatial axes. */
  final int spatial;

  Rank(int spatial) {
    this.spatial = spatial;
  }

  /** The input rank: batch, channels and the spatial axes. */
  int tensorRank() {
    return spatial + 2;
  }

  /** "1D", "2D" or "3D", the suffix of Luma's names. */
  String suffix() {
    return spatial + "D";
  }

  /**
   * A convolution with the same extent on every spatial axis.
   *
   * @param padding {@code "same"}, {@code "valid"} or an integer, as the convolution builders read it
   * @param seed the initialization seed, or null for the next default seed
   */
  Layer conv(int in, int out, int kernel, int stride, String padding, int groups, Initializer init, Long seed) {
    return switch (this) {
      case ONE -> {
        Conv1D.Builder b = Conv1D.builder(in, out).kernel(kernel).stride(stride).padding(padding).groups(groups)
            .initializer(init);
        yield (seed == null ? b : b.seed(seed)).build();
      }
      case TWO -> {
        Conv2D.Builder b = Conv2D.builder(in, out).kernel(kernel).stride(stride).padding(padding).groups(groups)
            .initializer(init);
        yield (seed == null ? b : b.seed(seed)).build();
      }
      case THREE -> {
        Conv3D.Builder b = Conv3D.builder(in, out).kernel(kernel).stride(stride).padding(padding).groups(groups)
            .initializer(init);
        yield (seed == null ? b : b.seed(seed)).build();
      }
    };
  }

  /** A batch norm over {@code channels} channels with PyTorch's {@code momentum}. */
  Layer batchNorm(int channels, double momentum) {
    return switch (this) {
      case ONE -> new BatchNorm1D(channels).momentum(momentum);
      case TWO -> new BatchNorm2D(channels).momentum(momentum);
      case THREE -> new BatchNorm3D(channels).momentum(momentum);
    };
  }

  /** A max or average pool, the same window and stride on every spatial axis, no padding. */
  Layer pool(boolean max, int size, int stride) {
    return switch (this) {
      case ONE -> max ? Pool1D.max(size, stride, 0) : Pool1D.avg(size, stride, 0);
      case TWO -> max ? Pool2D.max(size, stride, 0) : Pool2D.avg(size, stride, 0);
      case THREE -> max ? Pool3D.max(size, stride, 0) : Pool3D.avg(size, stride, 0);
    };
  }

  /** Global average pooling to {@code [N, C, 1, ...]} (the spatial axes kept, of extent 1). */
  Layer globalAvgPool() {
    return switch (this) {
      case ONE -> new GlobalAvgPool1D();
      case TWO -> new GlobalAvgPool2D();
      case THREE -> new GlobalAvgPool3D();
    };
  }

  /**
   * The seed of a block's {@code i}-th layer: a pure function of the block's seed, or null (each
   * layer takes the next default seed) when the block has none.
   */
  static Long derive(Long seed, int i) {
    return seed == null ? null : seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L * (i + 1);
  }
}
