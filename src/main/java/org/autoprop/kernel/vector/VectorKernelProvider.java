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
import org.autoprop.kernel.RowKernels;
import org.autoprop.kernel.KernelProvider;

/**
 * The Vector API kernels. Loaded by name from {@link KernelProvider} only when
 * {@code jdk.incubator.vector} is readable, so nothing on the scalar path links this package.
 *
 * <p>Every kernel uses one species, {@link #SPECIES}: the CPU's preferred width, or the width
 * forced by {@code -Dautoprop.vectorbits} (128, 256 or 512, at most the preferred one), read once
 * when this class initialises. Tests run the kernels at a second width this way.
 *
 * <p>Where this provider IS the scalar code: a few kernels hand some inputs to their scalar twin,
 * for the reason given at the kernel; the twin tests skip exactly these inputs, by the names of
 * the predicates below.
 * <ul>
 *   <li>{@code pool().maxForward}, {@code avgForward}, {@code avgBackward}: windows with a
 *       horizontal stride other than 1 where the kernel has no stride-2 path (every stride above 2;
 *       stride 2 on JDK 17, whose C2 boxes the rearranges, except 2x2/2 max pooling):
 *       {@link #scalarMaxPoolForward}, {@link #scalarAvgPoolForward}, {@link #scalarAvgPoolBackward}.
 *   <li>{@code pool().maxBackward}: the scatter of each gradient to its argmax, on every window but
 *       2-wide disjoint ones at least a vector wide on JDK 25+: {@link #scalarMaxPoolBackward}.
 *   <li>{@code pool().adaptiveAvgForward} and {@code adaptiveAvgBackward}: every output size but
 *       1 x 1 (global average pooling): {@link #scalarAdaptivePool}.
 *   <li>{@code gemm().smallGemm}: products whose op(B) is narrower than one vector, or with B
 *       transposed and more than 64 rows, which run on the packed {@code gemm} (the vector one,
 *       tested on its own): {@link #packedSmallGemm}.
 *   <li>{@code norm()}, every kernel: rows shorter than one vector ({@code spatial < lanes}, e.g.
 *       BatchNorm1D), where the vector loop would never run: {@link #scalarNormRows}.
 * </ul>
 */
public final class VectorKernelProvider extends KernelProvider {
  /** The system property that forces the vector width in bits (128, 256 or 512). */
  public static final String BITS_PROPERTY = "autoprop.vectorbits";

  /** The one species every kernel uses: {@code -Dautoprop.vectorbits} wide, else the CPU's preferred. */
  static final VectorSpecies<Float> SPECIES = species(System.getProperty(BITS_PROPERTY));

  private final ElementwiseKernels elementwise = new VectorElementwise();
  private final GemmKernels gemm = new VectorGemm();
  private final ConvKernels conv = new VectorConv();
  private final NormKernels norm = new VectorNorm();
  private final PoolKernels pool = new VectorPool();
  private final ActivationKernels activation = new VectorActivation();
  private final MergeKernels merge = new VectorMerge();
  private final RowKernels rows = new VectorRows();

  /** Called reflectively by {@link KernelProvider}. */
  public VectorKernelProvider() {}

  /**
   * The species for a {@code -Dautoprop.vectorbits} value: the preferred one when unset.
   *
   * @throws IllegalArgumentException if the value is not 128, 256 or 512, or wider than the CPU's
   *     preferred width (the wider species would be emulated, many times slower)
   */
  static VectorSpecies<Float> species(String bits) {
    VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
    if (bits == null || bits.isBlank()) {
      return preferred;
    }
    VectorSpecies<Float> forced;
    switch (bits.trim()) {
      case "128":
        forced = FloatVector.SPECIES_128;
        break;
      case "256":
        forced = FloatVector.SPECIES_256;
        break;
      case "512":
        forced = FloatVector.SPECIES_512;
        break;
      default:
        throw new IllegalArgumentException("-D" + BITS_PROPERTY + "=" + bits + " (expected: 128, 256 or 512)");
    }
    if (forced.vectorBitSize() > preferred.vectorBitSize()) {
      throw new IllegalArgumentException("-D" + BITS_PROPERTY + "=" + bits + " is wider than this CPU's "
          + preferred.vectorBitSize() + "-bit vectors (expected: at most " + preferred.vectorBitSize() + ")");
    }
    return forced;
  }

  /** Whether {@code pool().maxForward} runs the scalar twin for {@code win}. */
  public static boolean scalarMaxPoolForward(PoolKernels.Window win) {
    return VectorPool.scalarMaxForward(win);
  }

  /** Whether {@code pool().maxBackward} runs the scalar twin (the scatter) for {@code win}. */
  public static boolean scalarMaxPoolBackward(PoolKernels.Window win) {
    return VectorPool.scalarMaxBackward(win);
  }

  /** Whether {@code pool().avgForward} runs the scalar twin for {@code win}. */
  public static boolean scalarAvgPoolForward(PoolKernels.Window win) {
    return VectorPool.scalarAvgForward(win);
  }

  /** Whether {@code pool().avgBackward} runs the scalar twin for {@code win}. */
  public static boolean scalarAvgPoolBackward(PoolKernels.Window win) {
    return VectorPool.scalarAvgBackward(win);
  }

  /**
   * Whether {@code pool().adaptiveAvgForward} and {@code adaptiveAvgBackward} run the scalar twin
   * for an {@code oh x ow} output.
   */
  public static boolean scalarAdaptivePool(int oh, int ow) {
    return VectorPool.scalarAdaptive(oh, ow);
  }

  /** Whether {@code gemm().smallGemm} runs the packed {@code gemm} for this product (m x n, B transposed or not). */
  public static boolean packedSmallGemm(boolean transB, int m, int n) {
    return VectorSmallGemm.packed(transB, m, n);
  }

  /** Whether the {@code norm()} kernels run the scalar twin for rows of {@code spatial} elements. */
  public static boolean scalarNormRows(int spatial) {
    return VectorNorm.scalarRows(spatial);
  }

  @Override
  public String description() {
    return "vector (" + SPECIES.vectorBitSize() + "-bit, " + SPECIES.length() + " float lanes"
        + (SPECIES == FloatVector.SPECIES_PREFERRED ? "" : ", forced by -D" + BITS_PROPERTY) + ")";
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
