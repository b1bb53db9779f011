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
import org.autoprop.layer.Parameter;
import org.autoprop.models.ReferenceNets;
import org.autoprop.zoo.ResNet;
import org.autoprop.tensor.Shape;
import org.autoprop.train.AdamW;
import org.autoprop.train.ConfusionMatrix;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Dataset;
import org.autoprop.train.EpochListener;
import org.autoprop.train.EpochResult;
import org.autoprop.train.LrSchedule;
import org.autoprop.train.Optimizer;
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

  /**
   * What to train and how: FMNIST-NET with the benchmark's reference recipe or this job's
   * faster-converging default, or VIT-FMNIST with its reference recipe (docs/WORKLOADS.md).
   */
  enum Recipe {
    /** FMNIST-NET, WORKLOADS.md: SGD, momentum 0.9, lr 0.05, weight decay 5e-4, constant rate. */
    REFERENCE("fmnist-net", 2, 0.05),
    /**
     * FMNIST-NET with SGD with Nesterov momentum 0.9, weight decay 5e-4, label smoothing 0.1, a
     * linear warm-up over the first tenth of the steps, then cosine annealing to 0 by the last step.
     */
    FAST("fmnist-net", 4, 0.1),
    /**
     * VIT-FMNIST, WORKLOADS.md: AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0.05), lr 1e-3 with a
     * linear warm-up over the first 5% of the steps ({@code lr (s + 1) / W}) then cosine decay to 0,
     * as jmh/peers/torch_vit.py.
     */
    VIT("vit", 10, 1e-3),
    /**
     * RESNET18-FMNIST, WORKLOADS.md: torchvision's ResNet-18 with the small-image stem (3x3 conv
     * 1 -> 64, stride 1, no max pool), 10 classes; SGD momentum 0.9, weight decay 5e-4, lr 0.05
     * with a linear warm-up over the first 5% of the steps then cosine decay to 0.
     */
    RESNET18("resnet18", 2, 0.05);

    final String model;
    final int epochs;
    final double lr;

    Recipe(String model, int epochs, double lr) {
      this.model = model;
      this.epochs = epochs;
      this.lr = lr;
    }

    /** The network, seeded. */
    LayerGraph network(long seed) {
      return switch (this) {
        case VIT -> ReferenceNets.vitFashion(seed);
        case RESNET18 -> ResNet.resnet18().smallImages().inChannels(1).classes(10).seed(seed).build().graph();
        default -> ReferenceNets.fashionNet(seed);
      };
    }

    /** The optimizer over {@code parameters} at rate {@code lr}. */
    Optimizer optimizer(List<Parameter> parameters, double lr) {
      if (this == VIT) {
        return AdamW.builder(parameters).lr(lr).betas(0.9, 0.999).eps(1e-8).weightDecay(0.05).build();
      }
      return new Sgd(parameters, lr, 0.9, 0, 5e-4, this == FAST);
    }

    /** Cross-entropy; with label smoothing 0.1 for {@link #FAST}. */
    CrossEntropyLoss loss() {
      return this == FAST ? new CrossEntropyLoss(Reduction.MEAN, 0.1) : new CrossEntropyLoss();
    }

    /** The per-step learning rate over {@code totalSteps}, or null for a constant rate. */
    LrSchedule schedule(double lr, long totalSteps) {
      switch (this) {
        case FAST: {
          long warmup = Math.max(1, totalSteps / 10);
          return LrSchedule.cosine(lr, Math.max(1, totalSteps - warmup), 0).withWarmup(warmup, 0.1);
        }
        case VIT:
        case RESNET18: {
          return LrSchedule.warmupCosine(lr, Math.max(1, (long) (0.05 * totalSteps)), Math.max(2, totalSteps));
        }
        default:
          return null;
      }
    }
  }

  private TrainCommand() {}

  static String usage() {
    return String.join("\n",
        "  train [--model fmnist-net|vit|resnet18] [--recipe fast|reference] [--epochs N] [--batch N] [--lr X]",
        "        [--seed K] [--threads N] [--data DIR] [--limit N] [--drop-last] [--out DIR] [--overwrite]",
        "        [--resume FILE]",
        "        train FMNIST-NET on Fashion-MNIST (the default command); --model vit trains the",
        "        transformer VIT-FMNIST (10 epochs, AdamW lr 1e-3, warm-up + cosine), --model resnet18",
        "        RESNET18-FMNIST (ResNet-18 with a 3x3 stem and no max pool: 2 epochs, SGD momentum 0.9,",
        "        lr 0.05, weight decay 5e-4, warm-up + cosine). Data: --data DIR, else",
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
  private static final String[] RUN_KEYS = {"model", "recipe", "batch", "data", "limit", "drop-last"};

  static int run(String[] args, PrintStream out) throws IOException {
    Options o = Options.parse(args, "--model", "fmnist-net", "--recipe", "", "--epochs", "", "--batch", "128", "--lr", "",
        "--seed", "1", "--threads", "", "--data", "", "--limit", "", "--drop-last", "false", "--out", "",
        "--overwrite", "false", "--resume", "");
    setThreads(o, out);
    Settings s = Settings.of(o);
    Path resume = resumeFile(o);
    Path outDir = outputFolder(o, resume, s.recipe());
    Path checkpoint = outDir.resolve(CHECKPOINT);
    if (resume == null && !o.flag("--overwrite")) {
      refuseToOverwrite(outDir, checkpoint);
    }
    requireWritable(outDir);
    FashionMnistData data = loadData(o, s.home(), outDir, resume);
    Dataset train = trainingSet(o, data);
    printEngineAndData(out, data, train);
    Map<String, String> runInfo = runInfo(s, data, train);

    LayerGraph model = s.recipe().network(s.seed());
    out.println(model.summary(Shape.of(s.batch(), 1, 28, 28)));
    Optimizer optimizer = s.recipe().optimizer(model.parameters(), s.lr());
    CrossEntropyLoss loss = s.recipe().loss();
    long stepsPerEpoch = s.dropLast() ? train.size() / s.batch() : (train.size() + s.batch() - 1) / s.batch();
    int plannedEpochs = o.string("--epochs").isEmpty() ? s.recipe().epochs : o.positiveInt("--epochs");
    Start start = resume == null ? new Start(0, s.seed(), plannedEpochs, new ArrayList<>(), null)
        : resumeRun(resume, model, optimizer, s.seed(), plannedEpochs, o.string("--epochs").isEmpty(), runInfo, out);
    if (start.epoch() >= start.epochs()) {
      out.println("nothing to train: the checkpoint has " + start.epoch() + " epochs and the run plans " + start.epochs()
          + " (pass --epochs N to train more); nothing was written");
      report(model, data, s.batch(), out, 0);
      return 0;
    }

    Trainer trainer = trainer(s, model, loss, optimizer, start, stepsPerEpoch, out);
    trainer.addListener(checkpointEveryEpoch(checkpoint, model, optimizer, start, runInfo, data.test.size()));
    out.printf(Locale.ROOT, "training: %s, recipe %s, %d epochs, batch %d, lr %.3g, seed %d, %d steps per epoch%n",
        s.recipe().model, s.recipe().name().toLowerCase(Locale.ROOT), start.epochs(), s.batch(), s.lr(), start.seed(),
        stepsPerEpoch);
    out.println("loss: " + loss.name() + (s.recipe() == Recipe.FAST
        ? " (the printed training and test losses include the label-smoothing term)" : ""));
    out.println("output: " + outDir);
    long t0 = System.nanoTime();
    trainer.fit(train, data.test);
    double seconds = (System.nanoTime() - t0) / 1e9;

    report(model, data, s.batch(), out, seconds);
    writeOutputs(model, s.batch(), start.history(), outDir, checkpoint, out);
    return 0;
  }

  /** --threads N: the size of the engine pool, at most the processors there are. */
  static void setThreads(Options o, PrintStream out) {
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
  }

  /** The lines that open every run: the kernels and threads, and the data. */
  private static void printEngineAndData(PrintStream out, FashionMnistData data, Dataset train) {
    out.println("AutoProp for Java: kernels " + KernelProvider.get().description() + ", "
        + Parallel.threads() + " thread(s), JDK " + Runtime.version());
    out.println("data: " + data.description + (train.size() < data.train.size() ? " (training on the first " + train.size() + ")" : ""));
  }

  /** The trainer of this run, from its start; the fast recipe's learning-rate schedule included. */
  private static Trainer trainer(Settings s, LayerGraph model, CrossEntropyLoss loss, Optimizer optimizer,
      Start start, long stepsPerEpoch, PrintStream out) {
    Trainer trainer = new Trainer(model, loss, optimizer).batchSize(s.batch()).epochs(start.epochs())
        .startEpoch(start.epoch()).seed(start.seed()).dropLast(s.dropLast()).validationName("test")
        .progress(out, out == System.out && System.console() != null);
    LrSchedule schedule = s.recipe().schedule(s.lr(), stepsPerEpoch * start.epochs());
    if (schedule != null) {
      if (start.resumed() != null) {
        warnIfReplanned(out, start.resumed(), schedule, start.epochs());
      }
      trainer.schedule(schedule, true);
    }
    return trainer;
  }

  /** The settings read from the options before anything else happens (an error names the option). */
  private record Settings(Recipe recipe, int batch, double lr, long seed, boolean dropLast, Path home) {
    static Settings of(Options o) {
      Recipe recipe = parseRecipe(o.string("--model"), o.string("--recipe"));
      int batch = o.positiveInt("--batch");
      double lr = o.string("--lr").isEmpty() ? recipe.lr : o.positiveDouble("--lr");
      long seed = o.longValue("--seed");
      boolean dropLast = o.flag("--drop-last");
      Path home = System.getProperty("autoprop.home") != null ? Paths.get(System.getProperty("autoprop.home")) : null;
      return new Settings(recipe, batch, lr, seed, dropLast, home);
    }
  }

  /**
   * Where training starts: the epoch (0, or the checkpoint's), the seed, the planned number of
   * epochs, the history so far and, when resuming, what the checkpoint said.
   */
  private record Start(int epoch, long seed, int epochs, List<EpochResult> history, Checkpoint.Info resumed) {}

  /** The checkpoint file of --resume, or null; an error when it is a folder or missing. */
  private static Path resumeFile(Options o) throws IOException {
    if (o.string("--resume").isEmpty()) {
      return null;
    }
    Path resume = Paths.get(o.string("--resume"));
    if (Files.isDirectory(resume)) {
      throw new IOException("--resume " + resume + ": is a directory (expected: a checkpoint file such as "
          + resume.resolve(CHECKPOINT) + ")");
    }
    if (!Files.exists(resume)) {
      throw new IOException("--resume " + resume + ": no such file");
    }
    return resume;
  }

  /** A new run never replaces another run's checkpoint unless --overwrite says so. */
  private static void refuseToOverwrite(Path outDir, Path checkpoint) throws IOException {
    if (Files.exists(checkpoint)) {
      throw new IOException("--out " + outDir + " already holds a checkpoint of another run (" + checkpoint
          + "); choose another --out, resume it with --resume " + checkpoint + ", or pass --overwrite");
    }
  }

  /** The data of --data (else the default places); a run that fails here leaves no empty numbered folder. */
  private static FashionMnistData loadData(Options o, Path home, Path outDir, Path resume) throws IOException {
    try {
      return FashionMnistData.load(o.string("--data").isEmpty() ? null : Paths.get(o.string("--data")), home);
    } catch (IOException | RuntimeException e) {
      if (o.string("--out").isEmpty() && resume == null) {
        deleteIfEmpty(outDir); // a run that never started leaves no empty numbered folder behind
      }
      throw e;
    }
  }

  /** The training set, cut to its first --limit images if given. */
  private static Dataset trainingSet(Options o, FashionMnistData data) {
    Dataset train = data.train;
    if (!o.string("--limit").isEmpty()) {
      train = train.subset(0, Math.min(train.size(), o.positiveInt("--limit")));
    }
    return train;
  }

  /** What this run is trained with, saved in the checkpoint under {@link #RUN_KEYS}. */
  private static Map<String, String> runInfo(Settings s, FashionMnistData data, Dataset train) {
    Map<String, String> runInfo = new LinkedHashMap<>();
    runInfo.put("model", s.recipe().model);
    runInfo.put("recipe", s.recipe().name().toLowerCase(Locale.ROOT));
    runInfo.put("batch", Integer.toString(s.batch()));
    runInfo.put("data", data.source);
    runInfo.put("limit", Integer.toString(train.size()));
    runInfo.put("drop-last", Boolean.toString(s.dropLast()));
    return runInfo;
  }

  /**
   * Loads the checkpoint into the model and the optimizer and says where training resumes: its
   * seed wins over --seed, its history continues, and the epochs it planned replace
   * {@code plannedEpochs} when {@code keepItsPlan} (no --epochs given). Warns about settings that
   * differ from the checkpoint's.
   */
  private static Start resumeRun(Path resume, LayerGraph model, Optimizer optimizer, long seed, int plannedEpochs,
      boolean keepItsPlan, Map<String, String> runInfo, PrintStream out) throws IOException {
    Checkpoint.Info resumed = Checkpoint.load(resume, model, optimizer);
    int startEpoch = (int) resumed.epoch();
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
    List<EpochResult> history = new ArrayList<>();
    try {
      history.addAll(parseHistory(saved.get(HISTORY)));
    } catch (IllegalArgumentException e) {
      throw new IOException(resume + ": corrupt training history: " + e.getMessage(), e);
    }
    if (history.size() != startEpoch) {
      throw new IOException(resume + ": the history has " + history.size() + " epochs but the checkpoint says "
          + startEpoch + " were trained");
    }
    int epochs = plannedEpochs;
    if (keepItsPlan && saved.containsKey(PLANNED_EPOCHS)) {
      epochs = parsePlanned(resume, saved.get(PLANNED_EPOCHS));
    }
    out.printf(Locale.ROOT, "resumed from %s after epoch %d (optimizer step %d)%n", resume, startEpoch, resumed.step());
    return new Start(startEpoch, seed, epochs, history, resumed);
  }

  /** After every epoch, the checkpoint: weights, optimizer state, the run's settings and history. */
  private static EpochListener checkpointEveryEpoch(Path checkpoint, LayerGraph model, Optimizer optimizer, Start start,
      Map<String, String> runInfo, int testImages) {
    return (result, t) -> {
      List<EpochResult> history = start.history();
      history.add(result);
      Map<String, String> meta = new LinkedHashMap<>();
      meta.putAll(runInfo);
      meta.put("test-images", Integer.toString(testImages));
      meta.put(PLANNED_EPOCHS, Integer.toString(start.epochs()));
      meta.put(HISTORY, formatHistory(history));
      try {
        Checkpoint.save(checkpoint, model, optimizer, result.epoch(), start.seed(), meta);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("Cannot write " + checkpoint, e);
      }
    };
  }

  /** The training curves and the pictures of the graph, and where they and the checkpoint are. */
  private static void writeOutputs(LayerGraph model, int batch, List<EpochResult> history, Path outDir,
      Path checkpoint, PrintStream out) throws IOException {
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
  }

  private static final String CHECKPOINT = "checkpoint.safetensors";
  private static final String PLANNED_EPOCHS = "planned-epochs";
  /** Where runs go without --out: a new numbered folder per run, under runs/fmnist or runs/vit. */
  static final Path RUNS = Paths.get("runs", "fmnist");

  /** The folder of a model's runs. */
  static Path runsOf(Recipe recipe) {
    return switch (recipe) {
      case VIT -> Paths.get("runs", "vit");
      case RESNET18 -> Paths.get("runs", "resnet18");
      default -> RUNS;
    };
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
  private static Path outputFolder(Options o, Path resume, Recipe recipe) throws IOException {
    if (!o.string("--out").isEmpty()) {
      return Paths.get(o.string("--out"));
    }
    if (resume != null) {
      Path parent = resume.toAbsolutePath().getParent();
      return parent != null ? parent : Paths.get(".");
    }
    return nextRunFolder(runsOf(recipe));
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

  /** --model and --recipe: FMNIST-NET takes fast (default) or reference, VIT-FMNIST its own. */
  private static Recipe parseRecipe(String model, String name) {
    if (model.equals("vit") || model.equals("resnet18")) {
      if (!name.isEmpty() && !name.equals("reference")) {
        throw new IllegalArgumentException("option --recipe = '" + name + "' with --model " + model + " (expected: none,"
            + " or reference: " + (model.equals("vit") ? "VIT-FMNIST" : "RESNET18-FMNIST") + " has one recipe)");
      }
      return model.equals("vit") ? Recipe.VIT : Recipe.RESNET18;
    }
    if (!model.equals("fmnist-net")) {
      throw new IllegalArgumentException("option --model = '" + model + "' (expected: fmnist-net, vit or resnet18)");
    }
    if (name.isEmpty() || name.equals("fast")) {
      return Recipe.FAST;
    }
    if (name.equals("reference")) {
      return Recipe.REFERENCE;
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
