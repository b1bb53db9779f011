package org.autoprop.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
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
        "  train [--recipe fast|reference] [--epochs N] [--batch N] [--lr X] [--seed K] [--threads N]",
        "        [--data DIR] [--limit N] [--drop-last] [--out DIR] [--overwrite] [--resume FILE]",
        "        train FMNIST-NET on Fashion-MNIST (the default command). Data: --data DIR, else",
        "        /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist), else the",
        "        subset shipped in data/. Recipes: 'fast' (default: 4 epochs, SGD Nesterov, warm-up",
        "        + cosine, label smoothing 0.1, lr 0.1) or 'reference' (WORKLOADS.md: 2 epochs, SGD",
        "        momentum 0.9, lr 0.05, weight decay 5e-4). --limit N trains on the first N images;",
        "        --drop-last drops each epoch's last, smaller batch. Each run writes its checkpoint,",
        "        curves.svg and the graph picture into a new folder runs/fmnist/N (or into --out DIR,",
        "        which must not hold a checkpoint unless --overwrite). --resume FILE continues a run in",
        "        the checkpoint's folder; its schedule keeps the checkpoint's planned epochs unless",
        "        --epochs says otherwise, in which case it is re-planned over the new total (a warning",
        "        says how the learning rate changes).");
  }

  /** What a run was trained with, as saved in its checkpoint and compared on resume. */
  private static final String[] RUN_KEYS = {"recipe", "batch", "data", "limit", "drop-last"};

  static int run(String[] args, PrintStream out) throws IOException {
    Options o = Options.parse(args, "--recipe", "fast", "--epochs", "", "--batch", "128", "--lr", "",
        "--seed", "1", "--threads", "", "--data", "", "--limit", "", "--drop-last", "false", "--out", "",
        "--overwrite", "false", "--resume", "");
    if (!o.string("--threads").isEmpty()) {
      int threads = o.positiveInt("--threads");
      int cores = Runtime.getRuntime().availableProcessors();
      if (threads > cores) {
        out.println("warning: --threads " + threads + " is more than the " + cores + " available processors; using "
            + cores);
        threads = cores;
      }
      Parallel.configure(threads);
    }
    Recipe recipe = parseRecipe(o.string("--recipe"));
    int batch = o.positiveInt("--batch");
    double lr = o.string("--lr").isEmpty() ? recipe.lr : o.positiveDouble("--lr");
    long seed = o.longValue("--seed");
    boolean dropLast = o.flag("--drop-last");
    Path home = System.getProperty("autoprop.home") != null ? Paths.get(System.getProperty("autoprop.home")) : null;

    Checkpoint.Info resumed = null;
    Path resume = null;
    if (!o.string("--resume").isEmpty()) {
      resume = Paths.get(o.string("--resume"));
      if (Files.isDirectory(resume)) {
        throw new IOException("--resume " + resume + ": is a directory (expected: a checkpoint file such as "
            + resume.resolve(CHECKPOINT) + ")");
      }
      if (!Files.exists(resume)) {
        throw new IOException("--resume " + resume + ": no such file");
      }
    }
    Path outDir = outputFolder(o, resume);
    Path checkpoint = outDir.resolve(CHECKPOINT);
    if (resume == null && Files.exists(checkpoint) && !o.flag("--overwrite")) {
      throw new IOException("--out " + outDir + " already holds a checkpoint of another run (" + checkpoint
          + "); choose another --out, resume it with --resume " + checkpoint + ", or pass --overwrite");
    }
    requireWritable(outDir);

    FashionMnistData data;
    try {
      data = FashionMnistData.load(o.string("--data").isEmpty() ? null : Paths.get(o.string("--data")), home);
    } catch (IOException | RuntimeException e) {
      if (o.string("--out").isEmpty() && resume == null) {
        deleteIfEmpty(outDir); // a run that never started leaves no empty numbered folder behind
      }
      throw e;
    }
    var train = data.train;
    if (!o.string("--limit").isEmpty()) {
      train = train.subset(0, Math.min(train.size(), o.positiveInt("--limit")));
    }
    out.println("AutoProp for Java: kernels " + KernelProvider.get().description() + ", "
        + Parallel.threads() + " thread(s), JDK " + Runtime.version());
    out.println("data: " + data.description + (train.size() < data.train.size() ? " (training on the first " + train.size() + ")" : ""));

    Map<String, String> runInfo = new LinkedHashMap<>();
    runInfo.put("recipe", recipe.name().toLowerCase(Locale.ROOT));
    runInfo.put("batch", Integer.toString(batch));
    runInfo.put("data", data.source);
    runInfo.put("limit", Integer.toString(train.size()));
    runInfo.put("drop-last", Boolean.toString(dropLast));

    LayerGraph model = ReferenceNets.fashionNet(seed);
    out.println(model.summary(Shape.of(batch, 1, 28, 28)));
    Sgd optimizer = new Sgd(model.parameters(), lr, 0.9, 0, 5e-4, recipe == Recipe.FAST);
    CrossEntropyLoss loss = recipe == Recipe.REFERENCE
        ? new CrossEntropyLoss() : new CrossEntropyLoss(Reduction.MEAN, 0.1);
    long stepsPerEpoch = dropLast ? train.size() / batch : (train.size() + batch - 1) / batch;

    List<EpochResult> history = new ArrayList<>();
    int startEpoch = 0;
    int plannedEpochs = o.string("--epochs").isEmpty() ? recipe.epochs : o.positiveInt("--epochs");
    if (resume != null) {
      resumed = Checkpoint.load(resume, model, optimizer);
      startEpoch = (int) resumed.epoch();
      if (resumed.seed() != seed) {
        out.println("resume: using the checkpoint's seed " + resumed.seed() + " (not " + seed + ")");
        seed = resumed.seed();
      }
      Map<String, String> saved = resumed.metadata();
      for (String key : RUN_KEYS) {
        String was = saved.get(key);
        if (was != null && !was.equals(runInfo.get(key))) {
          out.println("warning: resuming a run trained with " + key + " '" + was + "'; this run uses '"
              + runInfo.get(key) + "'");
        }
      }
      try {
        history.addAll(parseHistory(saved.get(HISTORY)));
      } catch (IllegalArgumentException e) {
        throw new IOException(resume + ": corrupt training history: " + e.getMessage(), e);
      }
      if (history.size() != startEpoch) {
        throw new IOException(resume + ": the history has " + history.size() + " epochs but the checkpoint says "
            + startEpoch + " were trained");
      }
      if (o.string("--epochs").isEmpty() && saved.containsKey(PLANNED_EPOCHS)) {
        plannedEpochs = parsePlanned(resume, saved.get(PLANNED_EPOCHS));
      }
      out.printf(Locale.ROOT, "resumed from %s after epoch %d (optimizer step %d)%n", resume, startEpoch, resumed.step());
    }
    final int epochs = plannedEpochs;
    if (startEpoch >= epochs) {
      out.println("nothing to train: the checkpoint has " + startEpoch + " epochs and the run plans " + epochs
          + " (pass --epochs N to train more); nothing was written");
      report(model, data, batch, out, 0);
      return 0;
    }
    long totalSteps = stepsPerEpoch * epochs;

    Trainer trainer = new Trainer(model, loss, optimizer).batchSize(batch).epochs(epochs).startEpoch(startEpoch)
        .seed(seed).dropLast(dropLast).validationName("test")
        .progress(out, out == System.out && System.console() != null);
    if (recipe == Recipe.FAST) {
      LrSchedule schedule = fastSchedule(lr, totalSteps);
      if (resumed != null) {
        warnIfReplanned(out, resumed, schedule, epochs);
      }
      trainer.schedule(schedule, true);
    }
    final long runSeed = seed;
    trainer.addListener((result, t) -> {
      history.add(result);
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("model", "FMNIST-NET");
      meta.putAll(runInfo);
      meta.put("test-images", Integer.toString(data.test.size()));
      meta.put(PLANNED_EPOCHS, Integer.toString(epochs));
      meta.put(HISTORY, formatHistory(history));
      try {
        Checkpoint.save(checkpoint, model, optimizer, result.epoch(), runSeed, meta);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("Cannot write " + checkpoint, e);
      }
    });
    out.printf(Locale.ROOT, "training: recipe %s, %d epochs, batch %d, lr %.3g, seed %d, %d steps per epoch%n",
        recipe.name().toLowerCase(Locale.ROOT), epochs, batch, lr, seed, stepsPerEpoch);
    out.println("loss: " + loss.name() + (recipe == Recipe.FAST
        ? " (the printed training and test losses include the label-smoothing term)" : ""));
    out.println("output: " + outDir);
    long start = System.nanoTime();
    trainer.fit(train, data.test);
    double seconds = (System.nanoTime() - start) / 1e9;

    report(model, data, batch, out, seconds);
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

  private static final String CHECKPOINT = "checkpoint.safetensors";
  private static final String PLANNED_EPOCHS = "planned-epochs";
  /** Where runs go without --out: a new numbered folder per run. */
  static final Path RUNS = Paths.get("runs", "fmnist");

  /** Warm-up over the first tenth of the steps, then cosine annealing to 0 by the last. */
  private static LrSchedule fastSchedule(double lr, long totalSteps) {
    long warmup = Math.max(1, totalSteps / 10);
    return LrSchedule.cosine(lr, Math.max(1, totalSteps - warmup), 0).withWarmup(warmup, 0.1);
  }

  /** Says how the learning rate moves when a resumed run's schedule covers a different total. */
  private static void warnIfReplanned(PrintStream out, Checkpoint.Info resumed, LrSchedule schedule, int epochs) {
    String planned = resumed.metadata().get(PLANNED_EPOCHS);
    if (planned == null || planned.equals(Integer.toString(epochs))) {
      return;
    }
    long step = resumed.step();
    out.printf(Locale.ROOT, "warning: the schedule was planned for %s epochs and is re-planned for %d: at step %d the "
        + "learning rate goes from %.3g to %.3g%n", planned, epochs, step, resumed.learningRate(), schedule.lr(step));
  }

  private static int parsePlanned(Path file, String value) throws IOException {
    try {
      int n = Integer.parseInt(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IOException(file + ": metadata " + PLANNED_EPOCHS + " '" + value + "' (expected: a positive integer)");
  }

  /**
   * The run's folder: --out as given; else the folder of the checkpoint being resumed; else a new
   * numbered folder under runs/fmnist (1, 2, ...), as experiment trackers do, so runs never
   * overwrite each other.
   */
  private static Path outputFolder(Options o, Path resume) throws IOException {
    if (!o.string("--out").isEmpty()) {
      return Paths.get(o.string("--out"));
    }
    if (resume != null) {
      Path parent = resume.toAbsolutePath().getParent();
      return parent != null ? parent : Paths.get(".");
    }
    return nextRunFolder(RUNS);
  }

  /**
   * Creates and returns the first {@code base/N} (N = 1, 2, ...) past every existing numbered
   * folder. Claimed with {@code createDirectory}, which fails when the folder exists, so two runs
   * started at once never share one.
   */
  static Path nextRunFolder(Path base) throws IOException {
    int last = 0;
    if (Files.isDirectory(base)) {
      try (var entries = Files.list(base)) {
        for (Path p : (Iterable<Path>) entries::iterator) {
          String name = p.getFileName().toString();
          if (name.matches("[0-9]{1,9}")) {
            last = Math.max(last, Integer.parseInt(name));
          }
        }
      }
    }
    Files.createDirectories(base);
    for (int n = last + 1; ; n++) {
      try {
        return Files.createDirectory(base.resolve(Integer.toString(n)));
      } catch (FileAlreadyExistsException taken) {
        // another run claimed it between the listing and here: try the next number
      }
    }
  }

  private static void deleteIfEmpty(Path dir) {
    try (var entries = Files.list(dir)) {
      if (entries.findAny().isEmpty()) {
        Files.delete(dir);
      }
    } catch (IOException ignored) {
      // best effort: the folder stays
    }
  }

  /** Creates the folder and writes and deletes a probe file, so a run never trains for nothing. */
  private static void requireWritable(Path dir) throws IOException {
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".autoprop-probe", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new IOException("--out " + dir + " is not a writable folder: " + e, e);
    }
  }

  /** Evaluates at the training batch size: its buffers exist already, and the heap is sized for it. */
  private static void report(LayerGraph model, FashionMnistData data, int batch, PrintStream out, double seconds) {
    ConfusionMatrix cm = ConfusionMatrix.evaluate(model, data.test, batch);
    out.println();
    out.printf(Locale.ROOT, "test accuracy: %.2f%% on %d images%s%n", 100 * cm.accuracy(), cm.total(),
        seconds > 0 ? String.format(Locale.ROOT, " (training took %.1f s)", seconds) : "");
    out.println("confusion matrix (rows: true class, columns: predicted class):");
    out.print(cm.format(FashionMnistData.CLASSES));
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
      epoch[i] = r.epoch();
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
