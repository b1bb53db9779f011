package org.autoprop.layer;

/**
 * DropBlock on {@code [N, C, H, W]} (Ghiasi et al. 2018; Luma's {@code DropBlock2D}, which PyTorch lacks):
 * in training, contiguous {@code block_size^2} regions of each channel are zeroed and the rest
 * scaled by {@code 1 / (1 - p)}; in evaluation the layer is the identity. Each position is a block
 * centre with probability {@code gamma = p * prod(L_a) / (b^2 * prod(max(L_a - b + 1, 1)))}
 * ({@link #gamma}; {@code L_a} the spatial extents, {@code b} the block size; at most {@code p}) and each centre
 * zeroes {@code [c + b/2 - b + 1, c + b/2]} along every axis (centred for an odd {@code b}, as Luma),
 * clipped to the input.
 */
public final class DropBlock2D extends DropBlockCore {
  /**
   * DropBlock with drop probability {@code p} in [0, 1), the block extent and the seed (Luma's
   * defaults: {@code drop_prob=0.1}, {@code block_size=7}).
   */
  public DropBlock2D(double p, int blockSize, long seed) {
    super("DropBlock2D", p, blockSize, seed);
  }

  @Override
  int rank() {
    return 2;
  }

  @Override
  String layout() {
    return "[N, C, H, W]";
  }

  @Override
  public String typeName() {
    return "DropBlock2D";
  }
}
