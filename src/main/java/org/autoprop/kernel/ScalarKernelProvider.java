package org.autoprop.kernel;

/** The scalar kernels: plain loops, the oracle and the fallback. */
final class ScalarKernelProvider extends KernelProvider {
  static final ScalarKernelProvider INSTANCE = new ScalarKernelProvider();

  private final ElementwiseKernels elementwise = new ScalarElementwise();
  private final GemmKernels gemm = new ScalarGemm();
  private final ConvKernels conv = new ScalarConv();
  private final NormKernels norm = new ScalarNorm();
  private final PoolKernels pool = new ScalarPool();
  private final ActivationKernels activation = new ScalarActivation();
  private final MergeKernels merge = new ScalarMerge();
  private final RowKernels rows = new ScalarRows();

  @Override
  public String description() {
    return "scalar";
  }

  @Override
  public ElementwiseKernels elementwise() {
    return elementwise;
  }

  @Override
  public GemmKernels gemm() {
    return gemm;
  }

  @Override
  public ConvKernels conv() {
    return conv;
  }

  @Override
  public NormKernels norm() {
    return norm;
  }

  @Override
  public PoolKernels pool() {
    return pool;
  }

  @Override
  public ActivationKernels activation() {
    return activation;
  }

  @Override
  public MergeKernels merge() {
    return merge;
  }

  @Override
  public RowKernels rows() {
    return rows;
  }
}
