package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** torchvision's RandomCrop, RandomHorizontalFlip and Normalize against direct definitions. */
class TransformsTest {
  private static float[] random(SplittableRandom r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextDouble();
    }
    return x;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void randomCropIsAWindowOfTheZeroPaddedImage(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int c = 1 + r.nextInt(3);
    int h = 1 + r.nextInt(6);
    int w = 1 + r.nextInt(6);
    int pad = r.nextInt(3);
    int ch = 1 + r.nextInt(h + 2 * pad);
    int cw = 1 + r.nextInt(w + 2 * pad);
    float[] x = random(r, 3 + c * h * w);
    Transform t = Transforms.randomCrop(ch, cw, pad);
    assertEquals(Shape.of(c, ch, cw), t.outputShape(Shape.of(c, h, w)));
    long draw = r.nextLong();
    float[] out = new float[c * ch * cw + 2];
    t.apply(x, 3, Shape.of(c, h, w), out, 2, new SplittableRandom(draw));
    // torchvision: pad with zeros, then i = randint(0, H' - th), j = randint(0, W' - tw), in that order.
    SplittableRandom same = new SplittableRandom(draw);
    int top = same.nextInt(h + 2 * pad - ch + 1);
    int left = same.nextInt(w + 2 * pad - cw + 1);
    for (int k = 0; k < c; k++) {
      for (int y = 0; y < ch; y++) {
        for (int xx = 0; xx < cw; xx++) {
          int py = top + y - pad;
          int px = left + xx - pad;
          float want = py >= 0 && py < h && px >= 0 && px < w ? x[3 + (k * h + py) * w + px] : 0;
          assertEquals(want, out[2 + (k * ch + y) * cw + xx], "channel " + k + " at " + y + "," + xx);
        }
      }
    }
  }

  @Test
  void flipMirrorsTheLastAxisWithProbabilityP() {
    float[] x = {1, 2, 3, 4, 5, 6}; // [1, 2, 3]
    float[] out = new float[6];
    Transforms.horizontalFlip(1).apply(x, 0, Shape.of(1, 2, 3), out, 0, new SplittableRandom(1));
    assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, out);
    Transforms.horizontalFlip(0).apply(x, 0, Shape.of(1, 2, 3), out, 0, new SplittableRandom(1));
    assertArrayEquals(x, out);
    int flipped = 0;
    SplittableRandom r = new SplittableRandom(5);
    Transform half = Transforms.horizontalFlip();
    for (int i = 0; i < 2000; i++) {
      half.apply(x, 0, Shape.of(1, 2, 3), out, 0, r);
      flipped += out[0] == 3 ? 1 : 0;
    }
    assertTrue(flipped > 900 && flipped < 1100, "flipped " + flipped + " of 2000");
  }

  @Test
  void normalizeIsPerChannel() {
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
    float[] out = new float[8];
    Transforms.normalize(new float[] {1, 2}, new float[] {0.5f, 4}).apply(x, 0, Shape.of(2, 2, 2), out, 0, null);
    assertArrayEquals(new float[] {0, 2, 4, 6, (5 - 2) / 4f, (6 - 2) / 4f, (7 - 2) / 4f, (8 - 2) / 4f}, out);
  }

  @Test
  void compositionsFlattenAndApplyInOrder() {
    Transform crop = Transforms.randomCrop(2, 0);
    Transform flip = Transforms.horizontalFlip(1);
    Transform norm = Transforms.normalize(new float[] {1}, new float[] {2});
    Transform all = crop.then(flip).then(norm);
    assertEquals(List.of(crop, flip, norm), all.stages());
    assertSame(flip, Transforms.compose(flip));
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9}; // [1, 3, 3]
    float[] out = new float[4];
    all.apply(x, 0, Shape.of(1, 3, 3), out, 0, new SplittableRandom(0));
    SplittableRandom same = new SplittableRandom(0);
    int top = same.nextInt(2);
    int left = same.nextInt(2);
    float[] want = new float[4];
    for (int y = 0; y < 2; y++) {
      for (int xx = 0; xx < 2; xx++) {
        want[y * 2 + (1 - xx)] = (x[(top + y) * 3 + left + xx] - 1) / 2;
      }
    }
    assertArrayEquals(want, out);
    assertEquals("Compose[RandomCrop(2x2, padding=0), HorizontalFlip(p=1.0), Normalize(mean=[1.0], std=[2.0])]",
        all.toString());
  }

  @Test
  void badArgumentsAndShapesAreRefusedByName() {
    assertEquals("Transforms.randomCrop: size 0x3, padding 0 (expected: sizes > 0, padding >= 0)",
        assertThrows(IllegalArgumentException.class, () -> Transforms.randomCrop(0, 3, 0)).getMessage());
    assertEquals("Transforms.randomCrop: size 3x3, padding -1 (expected: sizes > 0, padding >= 0)",
        assertThrows(IllegalArgumentException.class, () -> Transforms.randomCrop(3, -1)).getMessage());
    assertEquals("Transforms.horizontalFlip: p 1.5 (expected: 0 <= p <= 1)",
        assertThrows(IllegalArgumentException.class, () -> Transforms.horizontalFlip(1.5)).getMessage());
    assertEquals("Transforms.horizontalFlip: p NaN (expected: 0 <= p <= 1)",
        assertThrows(IllegalArgumentException.class, () -> Transforms.horizontalFlip(Double.NaN)).getMessage());
    assertEquals("Transforms.normalize: 2 means and 1 stds (expected: the same number, at least 1)",
        assertThrows(IllegalArgumentException.class,
            () -> Transforms.normalize(new float[2], new float[1])).getMessage());
    assertEquals("Transforms.normalize: channel 1 has mean 0.0, std 0.0 (expected: a finite mean, a finite std > 0)",
        assertThrows(IllegalArgumentException.class,
            () -> Transforms.normalize(new float[2], new float[] {1, 0})).getMessage());
    assertEquals("Transforms.compose: no transform (expected: at least one)",
        assertThrows(IllegalArgumentException.class, Transforms::compose).getMessage());
    assertEquals("RandomCrop(2x2, padding=0): sample shape [4, 4] (expected: [C, H, W])",
        assertThrows(IllegalArgumentException.class,
            () -> Transforms.randomCrop(2, 0).outputShape(Shape.of(4, 4))).getMessage());
    assertEquals("Normalize(mean=[0.0, 0.0], std=[1.0, 1.0]): sample shape [3, 4, 4] (expected: 2 channels on axis 0)",
        assertThrows(IllegalArgumentException.class,
            () -> Transforms.normalize(new float[2], new float[] {1, 1}).outputShape(Shape.of(3, 4, 4))).getMessage());
  }
}
