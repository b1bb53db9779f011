package org.autoprop.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.autoprop.graph.LayerGraph;
import org.autoprop.io.Checkpoint;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.Parallel;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Shape;
import org.autoprop.train.ConfusionMatrix;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.EpochResult;
import org.autoprop.train.LrSchedule;
import org.autoprop.train.Reduction;
import org.autoprop.train.Sgd;
import org.autoprop.train.Trainer;
import org.autoprop.viz.GraphExport;
import org.autoprop.viz.SvgChart;

/**
 * {@code autoprop train}: trains FMNIST-NET on Fashion-MNIST, then reports test accuracy and a
 * confusion matrix and writes a checkpoint, the training curves and a picture of the graph.
 */
final class TrainCommand {
  private static final String HISTORY = "history";

  /** How to train: the benchmark's reference recipe, or this job's faster-converging default. */
  enum Recipe {
    /** WORKLOADS.md: SGD, momentum 0.9, lr 0.05, weight decay 5e-4, constant rate. */
    REFERENCE(2, 0.05),
    /**
     * SGD with Nesterov momentum 0.9, weight decay 5e-4, label smoothing 0.1, a linear warm-up
     * over the first tenth of the steps, then cosine annealing to 0 by the last step.
     */
    FAST(4, 0.1);

    final int epochs;
    final double lr;

    Recipe(int epochs, double lr) {
      this.epochs = epochs;
      this.lr = lr;
    }
  }

  private TrainCommand() {}

  static String usage() {
    return String.join("\n",
        "  train [--recipe fast|reference] [--epochs N] [--batch N] [--lr X] [--seed K]",
        "        [--threads N] [--data DIR] [--limit N] [--out DIR] [--resume FILE]",
        "        train FMNIST-NET on Fashion-MNIST (the default command). Data: --data DIR, else",
        "        /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist), else the",
        "        subset shipped in data/. Recipes: 'fast' (default: 4 epochs, SGD Nesterov, warm-up",
        "        + cosine, label smoothing 0.1, lr 0.1) or 'reference' (WORKLOADS.md: 2 epochs, SGD",
        "        momentum 0.9, lr 0.05, weight decay 5e-4). --limit N trains on the first N images.",
        "        Writes checkpoint.safetensors, curves.svg and the graph picture into --out",
        "        (default runs/fmnist); --resume continues from a checkpoint.");
  }

  static int run(String[] args, PrintStream out) throws IOException {
    Options o = Options.parse(args, "--recipe", "fast", "--epochs", "", "--batch", "128", "--lr", "",
        "--seed", "1", "--threads", "", "--data", "", "--limit", "", "--out", "runs/fmnist", "--resume", "");
    if (!o.string("--threads").isEmpty()) {
      // Must happen before the engine pool starts: Parallel reads it once.
      System.setProperty(Parallel.PROPERTY, Integer.toString(o.positiveInt("--threads")));
    }
    Recipe recipe = parseRecipe(o.string("--recipe"));
    int epochs = o.string("--epochs").isEmpty() ? recipe.epochs : o.positiveInt("--epochs");
    int batch = o.positiveInt("--batch");
    double lr = o.string("--lr").isEmpty() ? recipe.lr : o.positiveDouble("--lr");
    long seed = o.longValue("--seed");
    Path outDir = Paths.get(o.string("--out"));
    Path home = System.getProperty("autoprop.home") != null ? Paths.get(System.getProperty("autoprop.home")) : null;

    FashionMnistData data = FashionMnistData.load(o.string("--data").isEmpty() ? null : Paths.get(o.string("--data")), home);
    var train = data.train;
    if (!o.string("--limit").isEmpty()) {
      train = train.subset(0, Math.min(train.size(), o.positiveInt("--limit")));
    }
    if (!o.string("--threads").isEmpty() && Parallel.THREADS != o.positiveInt("--threads")) {
      throw new IllegalStateException("--threads " + o.string("--threads") + ": the engine pool already runs "
          + Parallel.THREADS + " threads");
    }
    out.println("AutoProp for Java: kernels " + KernelProvider.get().description() + ", "
        + Parallel.THREADS + " thread(s), JDK " + Runtime.version());
    out.println("data: " + data.description + (train.size() < data.train.size() ? " (training on the first " + train.size() + ")" : ""));

    LayerGraph model = ReferenceNets.fashionNet(seed);
    out.println(model.summary(Shape.of(batch, 1, 28, 28)));
    Sgd optimizer = recipe == Recipe.REFERENCE
        ? new Sgd(model.parameters(), lr, 0.9, 0, 5e-4, false)
        : new Sgd(model.parameters(), lr, 0.9, 0, 5e-4, true);
    CrossEntropyLoss loss = recipe == Recipe.REFERENCE
        ? new CrossEntropyLoss() : new CrossEntropyLoss(Reduction.MEAN, 0.1);
    long stepsPerEpoch = (train.size() + batch - 1) / batch;
    long totalSteps = stepsPerEpoch * epochs;

    List<EpochResult> history = new ArrayList<>();
    int startEpoch = 0;
    if (!o.string("--resume").isEmpty()) {
      Path resume = Paths.get(o.string("--resume"));
      Checkpoint.Info info = Checkpoint.load(resume, model, optimizer);
      startEpoch = (int) info.epoch();
      if (info.seed() != seed) {
        out.println("resume: using the checkpoint's seed " + info.seed() + " (not " + seed + ")");
        seed = info.seed();
      }
      history.addAll(parseHistory(info.metadata().get(HISTORY)));
      out.printf(Locale.ROOT, "resumed from %s after epoch %d (optimizer step %d)%n", resume, startEpoch, info.step());
      if (startEpoch >= epochs) {
        out.println("nothing to train: the checkpoint has " + startEpoch + " epochs, --epochs is " + epochs);
      }
    }

    Trainer trainer = new Trainer(model, loss, optimizer).batchSize(batch).epochs(epochs).startEpoch(startEpoch).seed(seed)
        .progress(out, out == System.out && System.console() != null);
    if (recipe == Recipe.FAST) {
      long warmup = Math.max(1, totalSteps / 10);
      trainer.schedule(LrSchedule.cosine(lr, Math.max(1, totalSteps - warmup), 0).withWarmup(warmup, 0.1), true);
    }
    Files.createDirectories(outDir);
    Path checkpoint = outDir.resolve("checkpoint.safetensors");
    final long runSeed = seed;
    trainer.addListener((result, t) -> {
      history.add(result);
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("model", "FMNIST-NET");
      meta.put("recipe", recipe.name().toLowerCase(Locale.ROOT));
      meta.put("batch", Integer.toString(batch));
      meta.put(HISTORY, formatHistory(history));
      try {
        Checkpoint.save(checkpoint, model, optimizer, result.epoch() + 1, runSeed, meta);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("Cannot write " + checkpoint, e);
      }
    });
    out.printf(Locale.ROOT, "training: recipe %s, %d epochs, batch %d, lr %.3g, seed %d, %d steps per epoch%n",
        recipe.name().toLowerCase(Locale.ROOT), epochs, batch, lr, seed, stepsPerEpoch);
    long start = System.nanoTime();
    trainer.fit(train, data.test);
    double seconds = (System.nanoTime() - start) / 1e9;

    ConfusionMatrix cm = ConfusionMatrix.evaluate(model, data.test, 256);
    out.println();
    out.printf(Locale.ROOT, "test accuracy: %.2f%% on %d images (training took %.1f s)%n", 100 * cm.accuracy(), cm.total(), seconds);
    out.println("confusion matrix (rows: true class, columns: predicted class):");
    out.print(cm.format(FashionMnistData.CLASSES));

    Path curves = outDir.resolve("curves.svg");
    writeCurves(history, curves);
    out.println();
    out.println("checkpoint:   " + checkpoint + "   (resume with --resume " + checkpoint + ")");
    out.println("curves:       " + curves);
    Shape input = Shape.of(batch, 1, 28, 28);
    GraphExport.Saved graph = GraphExport.save(model, input, outDir.resolve("graph.dot"), true);
    Path mermaid = outDir.resolve("graph.mmd");
    String mmd = GraphExport.toMermaid(model, input);
    org.autoprop.io.AtomicFiles.write(mermaid, os -> os.write(mmd.getBytes(StandardCharsets.UTF_8)));
    if (graph.svg() != null) {
      out.println("graph:        " + graph.svg() + " (Graphviz), " + graph.dot() + ", " + mermaid + " (Mermaid)");
    } else {
      out.println("graph:        " + graph.dot() + ", " + mermaid + " (Mermaid); " + graph.message());
    }
    return 0;
  }

  private static Recipe parseRecipe(String name) {
    for (Recipe r : Recipe.values()) {
      if (r.name().equalsIgnoreCase(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("option --recipe = '" + name + "' (expected: fast or reference)");
  }

  static String formatHistory(List<EpochResult> history) {
    StringBuilder sb = new StringBuilder();
    for (EpochResult r : history) {
      sb.append(String.format(Locale.ROOT, "%d,%s,%s,%s,%s,%s,%s,%s;", r.epoch(), r.trainLoss(), r.trainAccuracy(),
          r.validationLoss(), r.validationAccuracy(), r.learningRate(), r.seconds(), r.imagesPerSecond()));
    }
    return sb.toString();
  }

  static List<EpochResult> parseHistory(String text) {
    List<EpochResult> list = new ArrayList<>();
    if (text == null || text.isEmpty()) {
      return list;
    }
    for (String row : text.split(";")) {
      if (row.isEmpty()) {
        continue;
      }
      String[] f = row.split(",");
      if (f.length != 8) {
        throw new IllegalArgumentException("checkpoint history row '" + row + "' has " + f.length + " fields (expected: 8)");
      }
      list.add(new EpochResult(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
          Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]),
          Double.parseDouble(f[7])));
    }
    return list;
  }

  private static void writeCurves(List<EpochResult> history, Path file) throws IOException {
    int n = history.size();
    double[] epoch = new double[n];
    double[] trainLoss = new double[n];
    double[] testLoss = new double[n];
    double[] trainAcc = new double[n];
    double[] testAcc = new double[n];
    for (int i = 0; i < n; i++) {
      EpochResult r = history.get(i);
      epoch[i] = r.epoch() + 1;
      trainLoss[i] = r.trainLoss();
      testLoss[i] = r.validationLoss();
      trainAcc[i] = 100 * r.trainAccuracy();
      testAcc[i] = 100 * r.validationAccuracy();
    }
    String svg = SvgChart.sideBySide(
        new SvgChart("Loss", "epoch", "cross-entropy").series("train", epoch, trainLoss).series("test", epoch, testLoss),
        new SvgChart("Accuracy", "epoch", "accuracy (%)").series("train", epoch, trainAcc).series("test", epoch, testAcc));
    org.autoprop.io.AtomicFiles.write(file, os -> os.write(svg.getBytes(StandardCharsets.UTF_8)));
  }
}
