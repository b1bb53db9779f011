package org.autoprop.cli;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;
import org.autoprop.zoo.Zoo;

/**
 * {@code predict}: the top classes of images under an ImageNet model of the zoo, with weights a
 * PyTorch state dict saved as safetensors (torchvision's names, loaded strictly), the images
 * prepared as torchvision's evaluation transform does ({@link ImageNetInput}).
 */
final class PredictCommand {
  private static final Set<String> VALUED = Set.of("--model", "--weights", "--top");

  private PredictCommand() {}

  static String usage() {
    return String.join("\n",
        "  predict --model NAME --weights FILE.safetensors [--top K] IMAGE...",
        "        print the top K (default 5) ImageNet classes of each image (PNG, JPEG, BMP, GIF) under",
        "        a zoo model with weights saved from PyTorch (safetensors.torch.save_file(",
        "        model.state_dict(), FILE)), resized and cropped as torchvision's ImageNet evaluation",
        "        transform. Models, by torchvision's function names:",
        wrapped(Zoo.names(), "          ", 96));
  }

  /** {@code words} joined by ", " in lines of at most {@code width} characters, each indented. */
  static String wrapped(Iterable<String> words, String indent, int width) {
    StringBuilder out = new StringBuilder(indent);
    int lineStart = 0;
    boolean first = true;
    for (String w : words) {
      String piece = first ? w : ", " + w;
      if (!first && out.length() - lineStart + piece.length() > width) {
        out.append(",\n").append(indent);
        lineStart = out.length() - indent.length();
        piece = w;
      }
      out.append(piece);
      first = false;
    }
    return out.toString();
  }

  static int run(String[] args, PrintStream out) throws IOException {
    List<String> options = new ArrayList<>();
    List<Path> images = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (VALUED.contains(args[i]) && i + 1 < args.length) {
        options.add(args[i]);
        options.add(args[++i]);
      } else if (args[i].startsWith("--")) {
        options.add(args[i]);
      } else {
        images.add(Path.of(args[i]));
      }
    }
    Options o = Options.parse(options.toArray(String[]::new), "--model", "", "--weights", "", "--top", "5");
    String name = o.string("--model");
    if (!Zoo.names().contains(name)) {
      throw new IllegalArgumentException("option --model = '" + name + "' (expected one of " + Zoo.names() + ")");
    }
    if (o.string("--weights").isEmpty()) {
      throw new IllegalArgumentException("option --weights is required (a safetensors state dict of " + name + ")");
    }
    if (images.isEmpty()) {
      throw new IllegalArgumentException("no image given (expected: one or more image files after the options)");
    }
    int top = o.positiveInt("--top");
    List<String> classes = classes();
    if (top > classes.size()) {
      throw new IllegalArgumentException("option --top = " + top + " (expected: at most " + classes.size() + ")");
    }
    Layer net = Zoo.imagenet(name, 0);
    StateDict.loadWeights(net, Path.of(o.string("--weights")));
    for (Path image : images) {
      float[] probabilities = softmax(net.forward(ImageNetInput.of(read(image)), false));
      out.println(image + ":");
      for (int k : topK(probabilities, top)) {
        out.printf(Locale.ROOT, "  %6.2f%%  %s (%d)%n", 100 * probabilities[k], classes.get(k), k);
      }
    }
    return 0;
  }

  static BufferedImage read(Path image) throws IOException {
    if (!Files.isRegularFile(image)) {
      throw new IOException(image + ": no such file");
    }
    BufferedImage img = ImageIO.read(image.toFile());
    if (img == null) {
      throw new IOException(image + ": not an image javax.imageio can read (PNG, JPEG, BMP, GIF)");
    }
    return img;
  }

  /** The ImageNet class names in index order (torchvision's list, a resource of the jar). */
  static List<String> classes() {
    try (InputStream in = Zoo.class.getResourceAsStream("imagenet_classes.txt")) {
      if (in == null) {
        throw new IllegalStateException("the resource org/autoprop/zoo/imagenet_classes.txt is missing from the jar");
      }
      return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Softmax of one row of logits, in double. */
  static float[] softmax(Tensor logits) {
    float[] z = logits.contiguous().toArray();
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : z) {
      sum += Math.exp(v - max);
    }
    float[] p = new float[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = (float) (Math.exp(z[i] - max) / sum);
    }
    return p;
  }

  /** The indices of the {@code k} largest values, largest first (the lower index first on ties). */
  static int[] topK(float[] values, int k) {
    int[] best = new int[k];
    boolean[] taken = new boolean[values.length];
    for (int r = 0; r < k; r++) {
      int arg = -1;
      for (int i = 0; i < values.length; i++) {
        if (!taken[i] && (arg < 0 || values[i] > values[arg])) {
          arg = i;
        }
      }
      taken[arg] = true;
      best[r] = arg;
    }
    return best;
  }
}
