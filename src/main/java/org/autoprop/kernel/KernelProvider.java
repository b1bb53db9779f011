package org.autoprop.kernel;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the kernel implementations once per JVM (the provider pattern of Lucene's
 * {@code VectorizationProvider}).
 *
 * <p>If the module {@code jdk.incubator.vector} is readable and the C2 compiler is on, the Vector
 * API implementation is loaded by name; otherwise the scalar one, with one warning that says how
 * to enable the fast path. The system property {@code autoprop.kernels} ({@code auto},
 * {@code scalar}, {@code vector}) forces a choice. The scalar classes never reference the Vector
 * API, so the scalar path runs on any JVM.
 */
public abstract class KernelProvider {
  /** The system property that forces a kernel implementation. */
  public static final String PROPERTY = "autoprop.kernels";

  private static final String VECTOR_PROVIDER = "org.autoprop.kernel.vector.VectorKernelProvider";

  /** Subclasses live in this module only. */
  protected KernelProvider() {}

  /** A one-line description, e.g. {@code "vector (512-bit, 16 float lanes, FMA)"}. */
  public abstract String description();

  /** Elementwise, activation and reduction kernels. */
  public abstract ElementwiseKernels elementwise();

  /** Matrix multiplication. */
  public abstract GemmKernels gemm();

  /** Conv kernels. */
  public abstract ConvKernels conv();

  /** Norm kernels. */
  public abstract NormKernels norm();

  /** Pool kernels. */
  public abstract PoolKernels pool();

  /** Activation kernels. */
  public abstract ActivationKernels activation();

  /** Merge kernels. */
  public abstract MergeKernels merge();

  /** The provider chosen for this JVM. */
  public static KernelProvider get() {
    return Holder.SELECTED;
  }

  /** The scalar provider: the oracle for tests, and the fallback. */
  public static KernelProvider scalar() {
    return ScalarKernelProvider.INSTANCE;
  }

  /**
   * The Vector API provider.
   *
   * @throws UnsupportedOperationException if {@code jdk.incubator.vector} is not readable
   */
  public static KernelProvider vector() {
    if (!vectorModulePresent()) {
      throw new UnsupportedOperationException(
          "jdk.incubator.vector is not available; pass --add-modules jdk.incubator.vector to the JVM");
    }
    try {
      return (KernelProvider) Class.forName(VECTOR_PROVIDER).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new UnsupportedOperationException("Cannot load " + VECTOR_PROVIDER + ": " + e, e);
    }
  }

  private static boolean vectorModulePresent() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  private static boolean c2Enabled() {
    List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (String arg : args) {
      if (arg.equals("-Xint") || arg.matches("-XX:TieredStopAtLevel=[0-3]")) {
        return false;
      }
    }
    return true;
  }

  private static KernelProvider select() {
    System.Logger log = System.getLogger("org.autoprop.kernel");
    String forced = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
    switch (forced) {
      case "scalar":
        log.log(System.Logger.Level.INFO, "AutoProp kernels: scalar (forced by -D" + PROPERTY + "=scalar)");
        return scalar();
      case "vector":
        return vector();
      case "auto":
        break;
      default:
        throw new IllegalArgumentException(
            "-D" + PROPERTY + "=" + forced + " (expected: auto, scalar or vector)");
    }
    if (!vectorModulePresent()) {
      log.log(System.Logger.Level.WARNING,
          "AutoProp runs on its scalar kernels: pass --add-modules jdk.incubator.vector to the JVM"
              + " to enable the vectorized ones (several times faster)");
      return scalar();
    }
    if (!c2Enabled()) {
      log.log(System.Logger.Level.WARNING,
          "AutoProp runs on its scalar kernels: the C2 compiler is off (-Xint or TieredStopAtLevel < 4),"
              + " and the Vector API is slow without it");
      return scalar();
    }
    KernelProvider p = vector();
    log.log(System.Logger.Level.DEBUG, "AutoProp kernels: " + p.description());
    return p;
  }

  private static final class Holder {
    static final KernelProvider SELECTED = select();
  }
}
