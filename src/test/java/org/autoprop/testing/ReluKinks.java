package org.autoprop.testing;

import java.util.Arrays;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.tensor.Tensor;

/** Keeps a BatchNorm2D + ReLU away from the ReLU's kink for finite-difference checks. */
public final class ReluKinks {
  private ReluKinks() {}

  /**
   * Sets each channel's bias so that the ReLU's kink (xhat = -bias / weight) lies in the middle of
   * the widest gap between the channel's normalised inputs within [-1, 1]: some elements are masked,
   * none is within a finite-difference step of the kink.
   */
  public static void awayFromTheKink(BatchNorm2D bn, Tensor x, boolean training) {
    int batch = x.shape().dim(0);
    int channels = bn.channels();
    int spatial = x.size() / batch / channels;
    for (int c = 0; c < channels; c++) {
      double[] v = new double[batch * spatial];
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          v[b * spatial + i] = x.getFlat((b * channels + c) * spatial + i);
        }
      }
      double mean = bn.runningMean().getFlat(c);
      double var = bn.runningVar().getFlat(c);
      if (training) {
        mean = Arrays.stream(v).average().orElseThrow();
        final double m = mean;
        var = Arrays.stream(v).map(t -> (t - m) * (t - m)).sum() / v.length;
      }
      double is = 1 / Math.sqrt(var + bn.eps());
      double[] xhat = new double[v.length + 2];
      for (int i = 0; i < v.length; i++) {
        xhat[i] = Math.max(-1, Math.min(1, (v[i] - mean) * is));
      }
      xhat[v.length] = -1;
      xhat[v.length + 1] = 1;
      Arrays.sort(xhat);
      double kink = 0;
      double gap = -1;
      for (int i = 0; i + 1 < xhat.length; i++) {
        if (xhat[i + 1] - xhat[i] > gap) {
          gap = xhat[i + 1] - xhat[i];
          kink = (xhat[i] + xhat[i + 1]) / 2;
        }
      }
      bn.parameters().get(1).value().set((float) (-kink * bn.parameters().get(0).value().getFlat(c)), c);
    }
  }
}
