package org.autoprop.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import org.autoprop.graph.LayerGraph;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.Parallel;
import org.autoprop.layer.GradCheck;
import org.autoprop.models.SeedGraphs;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.TrainingDivergedException;

/**
 * The command-line entry point. {@code autoprop} (or {@code autoprop train}) trains FMNIST-NET
 * on Fashion-MNIST; {@code autoprop seed} builds the three example graphs of Luma's
 * AutoProp README, prints their summaries, runs a forward and backward pass on a random batch and
 * checks every gradient against finite differences.
 */
public final class Main {
  private Main() {}

  /** Runs a command; see {@link #usage()}. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        out.println(usage());
        return 0;
      }
      if (a.equals("--version")) {
        out.println(version());
        return 0;
      }
    }
    String command = args.length == 0 || args[0].startsWith("--") ? "train" : args[0];
    String[] rest = args.length == 0 || args[0].startsWith("--") ? args : Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (command) {
        case "train":
          return TrainCommand.run(rest, out);
        case "seed":
          return seed(rest, out);
        case "lm":
          return LmCommand.run(rest, out);
        case "predict":
          return PredictCommand.run(rest, out);
        case "help":
          out.println(usage());
          return 0;
        case "version":
          out.println(version());
          return 0;
        default:
          err.println("Unknown command '" + command + "'\n\n" + usage());
          return 2;
      }
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } catch (IOException | UncheckedIOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (TrainingDivergedException e) {
      err.println("error: training diverged: " + e.getMessage());
      err.println("       the last checkpoint written (if any) is the last good one; nothing after it was saved");
      return 1;
    } catch (OutOfMemoryError e) {
      long mb = Runtime.getRuntime().maxMemory() >> 20;
      err.println("error: out of memory: the heap holds at most " + mb + " MB (the ./autoprop launcher sizes it "
          + "from --batch); give more with AUTOPROP_JAVA_OPTS=-Xmx" + 2 * mb + "m, or use a smaller --batch");
      return 1;
    } catch (ExceptionInInitializerError e) {
      // A bad -Dautoprop.kernels or -Dautoprop.vectorbits fails the kernel provider's class initialisation.
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("error: " + cause.getMessage());
      return 2;
    }
  }

  /** The version of this build, the JDK, and the kernels this JVM would use. */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    if (v == null) {
      try (var in = Main.class.getResourceAsStream("/org/autoprop/version.properties")) {
        java.util.Properties p = new java.util.Properties();
        if (in != null) {
          p.load(in);
        }
        v = p.getProperty("version", "unknown");
      } catch (IOException e) {
        v = "unknown";
      }
    }
    return "AutoProp for Java " + v + " (JDK " + Runtime.version() + ", " + System.getProperty("os.arch") + ")";
  }

  static String usage() {
    return String.join("\n",
        "usage: autoprop [command] [options]",
        "",
        "commands:",
        TrainCommand.usage(),
        PredictCommand.usage(),
        LmCommand.usage(),
        "  seed [--batch N] [--size S] [--seed K]",
        "        build Luma's three README graphs, print their summaries, run forward and",
        "        backward on a random [N, 3, S, S] batch and check every gradient against",
        "        finite differences (default N=4, S=8, K=1)",
        "  help, --help, -h      this text",
        "  version, --version    the version of AutoProp and of the JDK");
  }

  private static int seed(String[] args, PrintStream out) {
    Options o = Options.parse(args, "--batch", "4", "--size", "8", "--seed", "1");
    int batch = o.positiveInt("--batch");
    int size = o.positiveInt("--size");
    long seed = o.longValue("--seed");
    out.println("AutoProp for Java: kernels " + KernelProvider.get().description()
        + ", " + Parallel.threads() + " thread(s), JDK " + Runtime.version());
    Shape input = Shape.of(batch, 3, size, size);
    Tensor x = Tensor.uniform(input, -1f, 1f, seed);
    boolean ok = true;
    String[] names = {"linear", "shortcut", "chcat"};
    LayerGraph[] graphs = {SeedGraphs.linear(seed), SeedGraphs.shortcut(seed), SeedGraphs.chcat(seed)};
    for (int i = 0; i < graphs.length; i++) {
      LayerGraph g = graphs[i];
      out.println();
      out.println("== seed graph '" + names[i] + "' ==");
      out.println(g.summary(input));
      Tensor y = g.forward(x, true);
      Tensor gy = Tensor.uniform(y.shape(), -1f, 1f, seed + 1);
      g.zeroGrad();
      Tensor gx = g.backward(gy);
      out.printf(Locale.ROOT, "forward  %s -> %s   backward -> %s (|gx|max = %.4g)%n",
          x.shape(), y.shape(), gx.shape(), gx.maxAbs());
      GradCheck.Report report = GradCheck.forLayer(g).seed(seed).maxChecksPerTensor(40).check(x);
      out.print(report); // the table and the PASS/FAIL line with the tolerance used
      ok &= report.passed();
    }
    out.println();
    out.println("all seed graphs: gradient check " + (ok ? "PASS" : "FAIL"));
    return ok ? 0 : 1;
  }
}
