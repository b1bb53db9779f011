package org.autoprop.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Sgd;

/**
 * Measures what a synchronous step costs besides compute, for the model of docs/SCALE-OUT.md:
 * a one-layer model of {@code P} parameters (its compute is negligible next to the exchange) on
 * {@code W} workers, for every given {@code W} and {@code P}; prints the median time per step and
 * the time outside the workers' compute.
 *
 * <pre>
 * ExchangeCostJob [--master URL] [--workers 1,2,4,8] [--params 10000,1000000] [--steps 60] [--jars LIST]
 * </pre>
 */
public final class ExchangeCostJob {
  private static final int FEATURES = 100;

  private ExchangeCostJob() {}

  /** Runs the measurement; see the class comment for the options. */
  public static void main(String[] args) {
    String master = "local[8]";
    String jars = null;
    int[] workers = {1, 2, 4, 8};
    int[] params = {10_000, 1_000_000};
    int steps = 60;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--master" -> master = args[i + 1];
        case "--workers" -> workers = ints(args[i + 1]);
        case "--params" -> params = ints(args[i + 1]);
        case "--steps" -> steps = Integer.parseInt(args[i + 1]);
        case "--jars" -> jars = args[i + 1];
        default -> throw new IllegalArgumentException("ExchangeCostJob: unknown option " + args[i]);
      }
    }
    SparkConf conf = new SparkConf().setAppName("autoprop-exchange-cost").setMaster(master)
        .setIfMissing("spark.driver.host", "127.0.0.1").set("spark.ui.enabled", "false")
        .set("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector -Dautoprop.threads=1");
    if (jars != null) {
      conf.set("spark.jars", jars);
    }
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      sc.setLogLevel("WARN");
      System.out.println("workers  parameters  bytes/step/worker  ms/step  ms/step outside compute (median of rounds)");
      for (int p : params) {
        int classes = Math.max(2, p / FEATURES);
        for (int w : workers) {
          List<Example> data = examples(w * 8 * (steps + 1), classes);
          SparkTrainer trainer = SparkTrainer.builder(() -> model(classes), CrossEntropyLoss::new,
              ps -> Sgd.builder(ps).lr(0.01).build()).inputShape(FEATURES).workers(w).batchPerWorker(8)
              .stepsPerRound(10).progress(null).build();
          trainer.fit(sc.parallelize(data, w), null);
          List<Double> total = new ArrayList<>();
          List<Double> outside = new ArrayList<>();
          for (RoundStats r : trainer.rounds().subList(1, trainer.rounds().size())) { // the first warms up
            total.add(r.millisPerStep());
            outside.add(r.exchangeMillisPerStep());
          }
          long parameters = 0;
          for (Parameter q : trainer.model().parameters()) {
            parameters += q.value().size();
          }
          System.out.printf("%7d  %10d  %17d  %7.2f  %7.2f%n", w, parameters, trainer.rounds().get(0).bytesPerStep(),
              median(total), median(outside));
        }
      }
    }
  }

  private static Layer model(int classes) {
    return Dense.builder(FEATURES, classes).seed(1).build();
  }

  private static List<Example> examples(int n, int classes) {
    SplittableRandom r = new SplittableRandom(1);
    List<Example> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      float[] f = new float[FEATURES];
      for (int j = 0; j < FEATURES; j++) {
        f[j] = (float) r.nextGaussian();
      }
      out.add(Example.of(f, r.nextInt(classes)));
    }
    return out;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  private static int[] ints(String csv) {
    String[] parts = csv.split(",");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Integer.parseInt(parts[i].trim());
    }
    return out;
  }
}
