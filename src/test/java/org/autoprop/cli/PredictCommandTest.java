package org.autoprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.autoprop.io.StateDict;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.SyntheticWeights;
import org.autoprop.zoo.ResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code predict}: the image preparation against torchvision's transform
 * ({@code tools/conformance/imagenet_transform.py}), the printed classes against the model run
 * here, the class list, and the errors.
 */
class PredictCommandTest {
  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  /** The usage lists every zoo name once, in lines that fit a terminal. */
  @Test
  void usageListsTheZooInShortLines() {
    String usage = PredictCommand.usage();
    for (String name : org.autoprop.zoo.Zoo.names()) {
      assertTrue(usage.matches("(?s).*[ ,]" + name + "(,|\\n|$).*"), name + " in\n" + usage);
    }
    for (String line : usage.split("\n")) {
      assertTrue(line.length() <= 100, line.length() + " characters: " + line);
    }
    assertEquals("  a, bb,\n  ccc", PredictCommand.wrapped(List.of("a", "bb", "ccc"), "  ", 8));
  }

  @Test
  void imagesArePreparedAsTorchvisionPreparesThem() throws Exception {
    Tensor x = ImageNetInput.of(PredictCommand.read(Conformance.dir().resolve("imagenet_input.png")));
    BufferedImage expected = PredictCommand.read(Conformance.dir().resolve("imagenet_expected.png"));
    int worst = 0;
    long total = 0;
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 224; y++) {
        for (int xx = 0; xx < 224; xx++) {
          int level = expected.getRGB(xx, y) >>> (16 - 8 * c) & 0xff;
          float ours = (x.get(0, c, y, xx) * STD[c] + MEAN[c]) * 255;
          int diff = Math.abs(Math.round(ours) - level);
          worst = Math.max(worst, diff);
          total += diff;
        }
      }
    }
    // PIL's fixed-point rounding may differ by one level; a wrong filter, size or crop by far more.
    assertTrue(worst <= 1, "largest difference from torchvision's levels: " + worst);
    assertTrue(total < 3 * 224 * 224 / 20, "levels off by one: " + total + " of " + 3 * 224 * 224);
  }

  @Test
  void thereAreAThousandClassesInTorchvisionsOrder() {
    List<String> classes = PredictCommand.classes();
    assertEquals(1000, classes.size());
    assertEquals("tench", classes.get(0));
    assertEquals("tabby", classes.get(281));
    assertEquals("toilet tissue", classes.get(999));
  }

  @Test
  void printsTheTopClassesOfTheModelItLoads(@TempDir Path dir) throws Exception {
    ResNet model = ResNet.resnet18().classes(1000).seed(3).build();
    SyntheticWeights.fill(model);
    Path weights = dir.resolve("resnet18.safetensors");
    StateDict.save(model, weights);
    Path image = Conformance.dir().resolve("imagenet_input.png");
    float[] p = PredictCommand.softmax(model.forward(ImageNetInput.of(PredictCommand.read(image)), false));
    int[] best = PredictCommand.topK(p, 3);

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = PredictCommand.run(new String[] {"--model", "resnet18", "--weights", weights.toString(), "--top", "3",
        image.toString()}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertEquals(0, code);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(4, lines.size(), lines::toString);
    assertEquals(image + ":", lines.get(0));
    List<String> classes = PredictCommand.classes();
    for (int r = 0; r < 3; r++) {
      String line = lines.get(r + 1);
      assertTrue(line.endsWith(" " + classes.get(best[r]) + " (" + best[r] + ")"), line);
      assertTrue(line.contains(String.format(java.util.Locale.ROOT, "%.2f%%", 100 * p[best[r]])), line);
    }
    assertTrue(p[best[0]] >= p[best[1]] && p[best[1]] >= p[best[2]], "largest first");
  }

  @Test
  void badArgumentsAreNamed(@TempDir Path dir) throws Exception {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    var e = assertThrows(IllegalArgumentException.class,
        () -> PredictCommand.run(new String[] {"--model", "vgg99", "--weights", "w", "a.png"}, sink));
    assertEquals("option --model = 'vgg99' (expected one of " + org.autoprop.zoo.Zoo.names() + ")", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PredictCommand.run(new String[] {"--model", "resnet18",
        "a.png"}, sink));
    assertEquals("option --weights is required (a safetensors state dict of resnet18)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PredictCommand.run(new String[] {"--model", "resnet18",
        "--weights", "w"}, sink));
    assertEquals("no image given (expected: one or more image files after the options)", e.getMessage());
    Path text = Files.writeString(dir.resolve("notes.png"), "not an image");
    var io = assertThrows(java.io.IOException.class, () -> PredictCommand.read(text));
    assertEquals(text + ": not an image javax.imageio can read (PNG, JPEG, BMP, GIF)", io.getMessage());
    var missing = assertThrows(java.io.IOException.class, () -> PredictCommand.read(dir.resolve("absent.png")));
    assertEquals(dir.resolve("absent.png") + ": no such file", missing.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PredictCommand.run(new String[] {"--model", "resnet18",
        "--weights", "w", "--top", "1001", "a.png"}, sink));
    assertEquals("option --top = 1001 (expected: at most 1000)", e.getMessage());
  }
}
