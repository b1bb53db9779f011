package org.autoprop.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.autoprop.io.Idx;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Dataset;
import org.autoprop.train.EpochResult;
import org.autoprop.train.Optimizer;
import org.autoprop.train.Sgd;
import org.autoprop.train.Trainer;

/**
 * FMNIST-NET on Fashion-MNIST with the reference recipe of docs/WORKLOADS.md (SGD, momentum 0.9,
 * lr 0.05, weight decay 5e-4, batch 128 = W x B), on a Spark master or, with {@code --single}, on
 * this JVM with the engine's {@link Trainer}. Prints the epochs, the test accuracy, the time per
 * step and its exchange share, the model size and a SHA-256 of the final weights (equal hashes:
 * equal bits). On Spark, BatchNorm's statistics are re-estimated after every epoch with
 * {@code --recalibrate} (default 20) forward passes a worker.
 *
 * <pre>
 * FashionMnistJob [--master URL] [--data DIR] [--workers W] [--batch B] [--epochs E]
 *                 [--mode sync|local:K] [--recalibrate N] [--limit N] [--checkpoint FILE] [--resume]
 *                 [--jars LIST] [--single]
 * </pre>
 */
public final class FashionMnistJob {
  private FashionMnistJob() {}

  /** Runs the job; see the class comment for the options. */
  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args);
    Path data = Path.of(o.getOrDefault("--data", "/usr/share/datasets/fashion-mnist"));
    int workers = Integer.parseInt(o.getOrDefault("--workers", "2"));
    int batch = Integer.parseInt(o.getOrDefault("--batch", "64"));
    int epochs = Integer.parseInt(o.getOrDefault("--epochs", "2"));
    int limit = Integer.parseInt(o.getOrDefault("--limit", "0"));
    Dataset train = load(data, "train", limit);
    Dataset test = load(data, "t10k", 0);
    System.out.printf("Fashion-MNIST from %s: %d training, %d test images%n", data, train.size(), test.size());
    long started = System.nanoTime();
    Layer model;
    if (o.containsKey("--single")) {
      model = ReferenceNets.fashionNet(1);
      Trainer trainer = new Trainer(model, new CrossEntropyLoss(), recipe(model.parameters()))
          .batchSize(workers * batch).epochs(epochs).dropLast(true).progress(System.out, false);
      List<EpochResult> history = trainer.fit(train, test);
      report(history);
    } else {
      SparkConf conf = new SparkConf().setAppName("autoprop-fmnist")
          .setMaster(o.getOrDefault("--master", "local[" + workers + "]"))
          .setIfMissing("spark.driver.host", "127.0.0.1")
          .set("spark.ui.enabled", "false")
          .set("spark.executor.memory", "1500m")
          .set("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector -Dautoprop.threads=1");
      if (o.containsKey("--jars")) {
        conf.set("spark.jars", o.get("--jars"));
      }
      try (JavaSparkContext sc = new JavaSparkContext(conf)) {
        sc.setLogLevel("WARN");
        SparkTrainer.Builder builder = SparkTrainer.builder(() -> ReferenceNets.fashionNet(1), CrossEntropyLoss::new,
            FashionMnistJob::recipe).inputShape(1, 28, 28).classes(10).workers(workers).batchPerWorker(batch)
            .epochs(epochs).synchronization(mode(o.getOrDefault("--mode", "sync")))
            .recalibrateBatchNorm(Integer.parseInt(o.getOrDefault("--recalibrate", "20")));
        if (o.containsKey("--checkpoint")) {
          builder.checkpoint(Path.of(o.get("--checkpoint"))).resume(o.containsKey("--resume"));
        }
        SparkTrainer trainer = builder.build();
        // parallelize ships each slice inside its task: about 1.5 MB each
        int slices = Math.max(2 * workers, train.size() / 500);
        List<EpochResult> history = trainer.fit(sc.parallelize(examples(train), slices),
            sc.parallelize(examples(test), slices));
        report(history);
        double wall = 0;
        double exchange = 0;
        long steps = 0;
        long bytes = 0;
        for (RoundStats r : trainer.rounds()) {
          wall += r.wallNanos() / 1e6;
          exchange += (r.wallNanos() - r.computeNanos()) / 1e6;
          steps += r.steps();
          bytes = r.bytesPerStep();
        }
        System.out.printf("steps: %d, %.1f ms a step, of which %.1f ms outside the workers' compute; "
            + "%d bytes in and out of each worker a step%n", steps, wall / steps, exchange / steps, bytes);
        model = trainer.model();
      }
    }
    long parameters = 0;
    for (Parameter p : model.parameters()) {
      parameters += p.value().size();
    }
    System.out.printf("model: %d parameters (%d bytes as float32)%n", parameters, 4 * parameters);
    System.out.printf("total %.1f s%n", (System.nanoTime() - started) / 1e9);
    System.out.println("weights sha256 " + sha256(model));
    if (o.containsKey("--weights-out")) {
      StateDict.save(model, Path.of(o.get("--weights-out")));
    }
  }

  /** The reference recipe's optimizer. */
  static Optimizer recipe(List<Parameter> parameters) {
    return Sgd.builder(parameters).lr(0.05).momentum(0.9).weightDecay(5e-4).build();
  }

  private static Synchronization mode(String text) {
    if (text.equals("sync")) {
      return Synchronization.synchronous();
    }
    if (text.startsWith("local:")) {
      return Synchronization.averageEvery(Integer.parseInt(text.substring("local:".length())));
    }
    throw new IllegalArgumentException("--mode " + text + " (expected: sync or local:K)");
  }

  private static void report(List<EpochResult> history) {
    if (history.isEmpty()) {
      System.out.println("no epoch left to train");
      return;
    }
    EpochResult last = history.get(history.size() - 1);
    double trainSeconds = 0;
    for (EpochResult r : history) {
      trainSeconds += r.seconds();
    }
    System.out.printf("test accuracy %.4f after %d epochs, %.1f s an epoch (evaluation included)%n",
        last.validationAccuracy(), last.epoch(), trainSeconds / history.size());
  }

  private static Dataset load(Path dir, String split, int limit) throws IOException {
    Dataset d = Idx.load(file(dir, split + "-images-idx3-ubyte"), file(dir, split + "-labels-idx1-ubyte"),
        Idx.FASHION_MNIST_MEAN, Idx.FASHION_MNIST_STD);
    if (limit > 0 && limit < d.size()) {
      Tensor x = d.inputs().slice(0, 0, limit).contiguous();
      int[] labels = java.util.Arrays.copyOf(d.labels(), limit);
      return new Dataset(x, labels);
    }
    return d;
  }

  private static Path file(Path dir, String base) throws IOException {
    for (String name : new String[] {base + ".gz", base}) {
      if (Files.isRegularFile(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    throw new IOException(dir + ": no " + base + "[.gz] (apt-get install dataset-fashion-mnist, or --data DIR)");
  }

  private static List<Example> examples(Dataset d) {
    Tensor x = d.inputs().contiguous();
    int n = d.size();
    int features = x.size() / n;
    List<Example> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      float[] f = new float[features];
      System.arraycopy(x.data(), x.offset() + i * features, f, 0, features);
      out.add(Example.of(f, d.labels()[i]));
    }
    return out;
  }

  private static String sha256(Layer model) throws NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (float v : ModelState.flatten(StateDict.of(model).values())) {
      int bits = Float.floatToIntBits(v);
      digest.update(new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--single") || a.equals("--resume")) {
        o.put(a, "");
      } else if (a.startsWith("--") && i + 1 < args.length) {
        o.put(a, args[++i]);
      } else {
        throw new IllegalArgumentException("FashionMnistJob: unknown argument '" + a + "'");
      }
    }
    return o;
  }
}
