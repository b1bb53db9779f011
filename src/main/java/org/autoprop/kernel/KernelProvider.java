package org.autoprop.kernel;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the kernel implementations once per JVM (the provider pattern of Lucene's
 * {@code VectorizationProvider}).
 *
 * <p>If the module {@code jdk.incubator.vector} is in the boot layer and the C2 compiler is on,
 * the Vector API implementation is loaded by name; otherwise the scalar one, with one warning that
 * says how much slower it is ({@link #SCALAR_SLOWDOWN_FMNIST_NET}, measured) and how to enable the
 * fast path. The system property {@code autoprop.kernels} ({@code auto}, {@code scalar},
 * {@code vector}) forces a choice, {@code autoprop.vectorbits} the width of the vector kernels.
 * The scalar classes never reference the Vector API, so the scalar path runs on any JVM.
 */
public abstract class KernelProvider {
  /** The system property that forces a kernel implementation. */
  public static final String PROPERTY = "autoprop.kernels";

  /**
   * How many times longer an FMNIST-NET training step (batch 128, one thread) took on the scalar
   * kernels than on the vector ones, measured with JMH ({@code FmnistScalarBenchmark} vs
   * {@code FmnistVectorBenchmark} in jmh/, forks differing only in
   * {@code --add-modules jdk.incubator.vector}): medians 636 vs 160 ms, 4.0x (before the scalar
   * loops were reshaped for C2's auto-vectorizer: 1355 vs 190 ms, 7.1x); JDK 17 on a 2-core AMD
   * EPYC (Zen 5) VM; JDK 25: 657 vs 206 ms, 3.2x. The warning quotes it; measure again when the
   * kernels change.
   */
  static final int SCALAR_SLOWDOWN_FMNIST_NET = 4;

  /** The README section with the recipes the warning sums up. */
  static final String README_SECTION = "Running without the vector module";

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

  /** Row kernels: LayerNorm, RMSNorm and the attention softmax along the last axis. */
  public abstract RowKernels rows();

  /** The provider chosen for this JVM. */
  public static KernelProvider get() {
    return Holder.SELECTED;
  }

  private static final ThreadLocal<KernelProvider> BUILDING = new ThreadLocal<>();

  /**
   * The provider a layer or merge constructed now on this thread takes: the one given to an
   * enclosing {@link #building}, else {@link #get()}. The one way a layer gets its kernels: read
   * once, at construction (never on a hot path).
   */
  public static KernelProvider current() {
    KernelProvider p = BUILDING.get();
    return p != null ? p : get();
  }

  /**
   * Runs {@code build} with {@link #current()} returning {@code kernels} on this thread, so that
   * every layer it constructs (a whole model) runs on those kernels: tests compare the scalar and
   * the vector implementations this way, and a user can run a model on the scalar oracle to debug.
   * Nests; the previous provider is restored when {@code build} returns or throws.
   *
   * @param kernels the provider for the layers built inside
   * @param build what constructs the layers
   * @param <T> what it returns
   * @return what {@code build} returned
   */
  public static <T> T building(KernelProvider kernels, java.util.function.Supplier<T> build) {
    java.util.Objects.requireNonNull(kernels, "kernels");
    java.util.Objects.requireNonNull(build, "build");
    KernelProvider previous = BUILDING.get();
    BUILDING.set(kernels);
    try {
      return build.get();
    } finally {
      if (previous == null) {
        BUILDING.remove();
      } else {
        BUILDING.set(previous);
      }
    }
  }

  /** The scalar provider: the oracle for tests, and the fallback. */
  public static KernelProvider scalar() {
    return ScalarKernelProvider.INSTANCE;
  }

  /**
   * The Vector API provider, at the width of {@code -Dautoprop.vectorbits} (128, 256 or 512) when
   * set, else the CPU's preferred one.
   *
   * @throws UnsupportedOperationException if {@code jdk.incubator.vector} is not readable
   * @throws IllegalArgumentException if {@code -Dautoprop.vectorbits} is not a width this CPU runs
   */
  public static KernelProvider vector() {
    Optional<Module> vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector");
    if (vectorModule.isEmpty()) {
      throw new UnsupportedOperationException(
          "jdk.incubator.vector is not available; pass --add-modules jdk.incubator.vector to the JVM");
    }
    // On the module path the module org.autoprop does not declare the incubator module (it is
    // optional): read it now, before the vector classes link against it. On the class path a no-op.
    KernelProvider.class.getModule().addReads(vectorModule.get());
    try {
      return (KernelProvider) Class.forName(VECTOR_PROVIDER).getDeclaredConstructor().newInstance();
    } catch (ExceptionInInitializerError e) {
      if (e.getCause() instanceof IllegalArgumentException) {
        throw (IllegalArgumentException) e.getCause(); // a bad -Dautoprop.vectorbits
      }
      throw new UnsupportedOperationException("Cannot load " + VECTOR_PROVIDER + ": " + e, e);
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new UnsupportedOperationException("Cannot load " + VECTOR_PROVIDER + ": " + e, e);
    }
  }

  /**
   * The warning logged when the module is missing: the measured cost and, for each way of starting
   * a JVM, where the option goes (the flag itself appears once).
   */
  static String missingModuleWarning() {
    return "AutoProp runs on its scalar kernels, about " + SCALAR_SLOWDOWN_FMNIST_NET + "x slower on FMNIST-NET"
        + " than with the JVM option --add-modules jdk.incubator.vector. Where to add it:\n"
        + "  java, java -jar: on the command line, or in JDK_JAVA_OPTIONS (a jar manifest cannot add"
        + " modules; Add-Opens is not it)\n"
        + "  Maven: maven-surefire-plugin <argLine>; exec-maven-plugin: <arguments> of exec:exec,"
        + " MAVEN_OPTS or .mvn/jvm.config for exec:java\n"
        + "  Gradle: jvmArgs of the test and JavaExec tasks; application { applicationDefaultJvmArgs }\n"
        + "  Recipes: README, \"" + README_SECTION + "\"";
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
      log.log(System.Logger.Level.WARNING, missingModuleWarning());
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
