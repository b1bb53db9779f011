package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.ConvKernels;
import org.autoprop.kernel.NormKernels;
import org.autoprop.kernel.PoolKernels;
import org.autoprop.kernel.ActivationKernels;
import org.autoprop.kernel.MergeKernels;
import org.autoprop.kernel.KernelProvider;

/**
 * The Vector API kernels. Loaded by name from {@link KernelProvider} only when
 * {@code jdk.incubator.vector} is readable, so nothing on the scalar path links this package.
 */
public final class VectorKernelProvider extends KernelProvider {
  /** The one species every kernel uses: the widest the CPU supports. */
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private final ElementwiseKernels elementwise = new VectorElementwise();
  private final GemmKernels gemm = new VectorGemm();
  private final ConvKernels conv = new VectorConv();
  private final NormKernels norm = new VectorNorm();
  private final PoolKernels pool = new VectorPool();
  private final ActivationKernels activation = new VectorActivation();
  private final MergeKernels merge = new VectorMerge();

  /** Called reflectively by {@link KernelProvider}. */
  public VectorKernelProvider() {}

  @Override
  public String description() {
    return "vector (" + SPECIES.vectorBitSize() + "-bit, " + SPECIES.length() + " float lanes)";
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
}
