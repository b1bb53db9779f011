package org.autoprop.cli;

import java.awt.image.BufferedImage;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * torchvision's ImageNet evaluation transform, for {@code predict}: {@code Resize(256)} (the shorter
 * side to 256, bilinear with antialiasing, as PIL resizes), {@code CenterCrop(224)},
 * {@code ToTensor()}, {@code Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])}.
 *
 * <p>The resize is PIL's: a triangle filter whose support grows with the reduction (so a large
 * image is averaged, not sampled), horizontal pass then vertical, each rounded to 8 bits as PIL does
 * for 8-bit images; pixels can differ from PIL's by one level where its fixed-point arithmetic rounds
 * the other way.
 */
final class ImageNetInput {
  static final int RESIZE = 256;
  static final int CROP = 224;
  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  private ImageNetInput() {}

  /** The normalised {@code [1, 3, 224, 224]} input of one image. */
  static Tensor of(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    float[][] rgb = new float[3][w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = image.getRGB(x, y);
        rgb[0][y * w + x] = p >>> 16 & 0xff;
        rgb[1][y * w + x] = p >>> 8 & 0xff;
        rgb[2][y * w + x] = p & 0xff;
      }
    }
    // torchvision: the shorter side to RESIZE, the longer to int(RESIZE * long / short).
    int newW = w <= h ? RESIZE : (int) ((long) RESIZE * w / h);
    int newH = w <= h ? (int) ((long) RESIZE * h / w) : RESIZE;
    // CenterCrop: top and left rounded half to even, as Python's round.
    int top = (int) Math.rint((newH - CROP) / 2.0);
    int left = (int) Math.rint((newW - CROP) / 2.0);
    Tensor out = Tensor.zeros(Shape.of(1, 3, CROP, CROP));
    float[] o = out.data();
    for (int c = 0; c < 3; c++) {
      float[] wide = resample(rgb[c], w, h, newW, true);       // [h, newW]
      float[] both = resample(wide, newW, h, newH, false);    // [newH, newW]
      for (int y = 0; y < CROP; y++) {
        for (int x = 0; x < CROP; x++) {
          float v = both[(y + top) * newW + x + left] / 255f;
          o[(c * CROP + y) * CROP + x] = (v - MEAN[c]) / STD[c];
        }
      }
    }
    return out;
  }

  /**
   * One pass of PIL's bilinear resampling along x ({@code horizontal}) or y, from {@code w x h}
   * to {@code size} along that axis, rounded and clamped to 8-bit levels.
   */
  private static float[] resample(float[] src, int w, int h, int size, boolean horizontal) {
    int in = horizontal ? w : h;
    double scale = (double) in / size;
    double filterScale = Math.max(scale, 1);
    double support = filterScale; // the triangle's support (1) times the filter scale
    int outW = horizontal ? size : w;
    int outH = horizontal ? h : size;
    float[] dst = new float[outW * outH];
    double[] weights = new double[(int) Math.ceil(support) * 2 + 2];
    for (int i = 0; i < size; i++) {
      double center = (i + 0.5) * scale;
      int lo = Math.max((int) (center - support + 0.5), 0);
      int hi = Math.min((int) (center + support + 0.5), in);
      double total = 0;
      for (int j = lo; j < hi; j++) {
        double t = Math.abs((j - center + 0.5) / filterScale);
        weights[j - lo] = t < 1 ? 1 - t : 0;
        total += weights[j - lo];
      }
      int lines = horizontal ? h : w;
      for (int k = 0; k < lines; k++) {
        double acc = 0;
        for (int j = lo; j < hi; j++) {
          acc += weights[j - lo] * (horizontal ? src[k * w + j] : src[j * w + k]);
        }
        float level = (float) Math.min(255, Math.max(0, Math.rint(acc / total)));
        dst[horizontal ? k * outW + i : i * outW + k] = level;
      }
    }
    return dst;
  }
}
