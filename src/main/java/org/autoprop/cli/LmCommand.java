package org.autoprop.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.SplittableRandom;
import org.autoprop.graph.LayerGraph;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.Parallel;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.AdamW;
import org.autoprop.train.ByteText;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.LrSchedule;

/**
 * {@code autoprop lm}: trains CHAR-LM (docs/LM.md), a byte-level causal transformer, on the
 * fortune files of Debian's {@code fortunes} package, printing the training and validation loss and
 * a sample of generated text every epoch; the peer is jmh/peers/torch_lm.py.
 */
final class LmCommand {
  /** The fortune files, in the order they are joined. */
  static final String[] FILES = {"fortunes", "literature", "science", "wisdom", "people", "humorists"};
  static final int CONTEXT = 64;
  private static final int VOCABULARY = 256;
  private static final int VALIDATION_WINDOWS = 200;
  private static final int VALIDATION_BATCH = 50;
  private static final String PROMPT = "The ";

  private LmCommand() {}

  static String usage() {
    return String.join("\n",
        "  lm [--epochs N] [--steps N] [--batch N] [--lr X] [--seed K] [--threads N] [--dir DIR] [--sample N]",
        "        train CHAR-LM (docs/LM.md), a byte-level causal transformer, on the fortune files",
        "        (apt-get install fortunes; --dir DIR holds them, default /usr/share/games/fortunes):",
        "        5 epochs of 200 steps, batch 32 windows of 64 bytes, AdamW lr 1e-3, warm-up + cosine;",
        "        every epoch prints the losses and --sample N bytes of generated text (default 120)");
  }

  static int run(String[] args, PrintStream out) throws IOException {
    Options o = Options.parse(args, "--epochs", "5", "--steps", "200", "--batch", "32", "--lr", "1e-3",
        "--seed", "1234", "--threads", "", "--dir", "/usr/share/games/fortunes", "--sample", "120");
    TrainCommand.setThreads(o, out);
    int epochs = o.positiveInt("--epochs");
    int steps = o.positiveInt("--steps");
    int batch = o.positiveInt("--batch");
    double lr = o.positiveDouble("--lr");
    long seed = o.longValue("--seed");
    int sampleBytes = o.positiveInt("--sample");
    ByteText[] text = new ByteText(read(Paths.get(o.string("--dir"))), CONTEXT).split(0.9);
    ByteText train = text[0];
    ByteText validation = text[1];
    if (validation.windows() < VALIDATION_WINDOWS) {
      throw new IOException("the validation text holds " + validation.windows() + " windows of " + (CONTEXT + 1)
          + " bytes (expected: at least " + VALIDATION_WINDOWS + "): too little text in --dir");
    }

    LayerGraph model = ReferenceNets.charLm(seed);
    long total = (long) epochs * steps;
    LrSchedule schedule = LrSchedule.warmupCosine(lr, Math.max(1, (long) (0.05 * total)), Math.max(2, total));
    AdamW optimizer = AdamW.builder(model.parameters()).lr(lr).betas(0.9, 0.999).eps(1e-8).weightDecay(0.01).build();
    CrossEntropyLoss loss = new CrossEntropyLoss();
    out.println("AutoProp for Java: kernels " + KernelProvider.get().description() + ", " + Parallel.threads()
        + " thread(s), JDK " + Runtime.version());
    out.printf(Locale.ROOT, "text: %d training and %d validation bytes from %s%n", train.size(), validation.size(),
        o.string("--dir"));
    out.println(model.summary(Shape.of(batch, CONTEXT)));
    out.printf(Locale.ROOT, "training: %d epochs of %d steps, batch %d x %d bytes, AdamW lr %.3g, seed %d%n",
        epochs, steps, batch, CONTEXT, lr, seed);

    SplittableRandom random = new SplittableRandom(seed);
    Tensor ids = Tensor.zeros(batch, CONTEXT);
    int[] targets = new int[batch * CONTEXT];
    double validationLoss = Double.NaN;
    for (int epoch = 1; epoch <= epochs; epoch++) {
      long t0 = System.nanoTime();
      double sum = 0;
      for (int s = 0; s < steps; s++) {
        schedule.apply(optimizer, (long) (epoch - 1) * steps + s);
        train.randomBatch(random, ids, targets);
        sum += loss.forward(model.forward(ids, true), targets);
        model.zeroGrad();
        model.backward(loss.backward(), false);
        optimizer.step();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      validationLoss = validationLoss(model, loss, validation);
      out.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f  validation loss %.4f  %.1f s  %.0f tokens/s%n", epoch,
          epochs, sum / steps, validationLoss, seconds, (double) steps * batch * CONTEXT / seconds);
      out.println("  sample: " + printable(sample(model, random, sampleBytes)));
    }
    out.printf(Locale.ROOT, "final validation loss %.4f%n", validationLoss);
    return 0;
  }

  /** The fortune files joined in {@link #FILES} order. */
  static byte[] read(Path dir) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (String name : FILES) {
      Path file = dir.resolve(name);
      if (!Files.isRegularFile(file)) {
        throw new IOException("--dir " + dir + ": no fortune file '" + name + "' (expected the files "
            + String.join(", ", FILES) + "; apt-get install fortunes puts them in /usr/share/games/fortunes)");
      }
      all.write(Files.readAllBytes(file));
    }
    return all.toByteArray();
  }

  /** Mean cross-entropy over every position of the first validation windows, in evaluation mode. */
  static double validationLoss(LayerGraph model, CrossEntropyLoss loss, ByteText validation) {
    Tensor ids = Tensor.zeros(VALIDATION_BATCH, CONTEXT);
    int[] targets = new int[VALIDATION_BATCH * CONTEXT];
    double sum = 0;
    for (int first = 0; first < VALIDATION_WINDOWS; first += VALIDATION_BATCH) {
      validation.windowBatch(first, ids, targets);
      sum += loss.forward(model.forward(ids, false), targets);
    }
    return sum / (VALIDATION_WINDOWS / VALIDATION_BATCH);
  }

  /** {@code count} bytes drawn at temperature 0.8 after {@link #PROMPT}, on the last 64 bytes of context. */
  static byte[] sample(LayerGraph model, SplittableRandom random, int count) {
    byte[] prompt = PROMPT.getBytes(StandardCharsets.US_ASCII);
    byte[] text = new byte[prompt.length + count];
    System.arraycopy(prompt, 0, text, 0, prompt.length);
    double[] p = new double[VOCABULARY];
    for (int n = prompt.length; n < text.length; n++) {
      int from = Math.max(0, n - CONTEXT);
      Tensor ids = Tensor.zeros(1, n - from);
      for (int t = from; t < n; t++) {
        ids.data()[t - from] = text[t] & 0xFF;
      }
      Tensor logits = model.forward(ids, false);
      int last = (n - from - 1) * VOCABULARY;
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < VOCABULARY; v++) {
        max = Math.max(max, logits.data()[last + v] / 0.8);
      }
      double z = 0;
      for (int v = 0; v < VOCABULARY; v++) {
        p[v] = Math.exp(logits.data()[last + v] / 0.8 - max);
        z += p[v];
      }
      double u = random.nextDouble() * z;
      int pick = VOCABULARY - 1;
      for (int v = 0; v < VOCABULARY; v++) {
        u -= p[v];
        if (u < 0) {
          pick = v;
          break;
        }
      }
      text[n] = (byte) pick;
    }
    return text;
  }

  /** The sample as one line: UTF-8 with replacement, line breaks and tabs shown as \n and \t. */
  static String printable(byte[] text) {
    return new String(text, StandardCharsets.UTF_8).replace("\n", "\\n").replace("\t", "\\t");
  }
}
