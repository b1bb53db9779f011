package org.autoprop.determinism;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.Parallel;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Padding;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Sgd;

/**
 * A child JVM's job for {@link DeterminismTest}: a few seeded momentum-SGD steps of a small
 * conv + BN + dense network, then one line per parameter and optimizer buffer with the bits of
 * every element folded into a hash ({@code name hash first-value}).
 *
 * <p>Arguments: batch, image size, steps, repeats. With repeats above 1 the whole run (fresh
 * network, same seeds) is repeated and only the last is printed, so that the kernels it prints
 * from ran compiled by C2.
 */
public final class SeededSteps {
  private SeededSteps() {}

  /** Runs the job; see the class comment for the arguments. */
  public static void main(String[] args) {
    int batch = Integer.parseInt(args[0]);
    int size = Integer.parseInt(args[1]);
    int steps = Integer.parseInt(args[2]);
    int repeats = Integer.parseInt(args[3]);
    String out = null;
    for (int r = 0; r < repeats; r++) {
      out = run(batch, size, steps);
    }
    System.out.println("kernels " + KernelProvider.get().description() + ", threads " + Parallel.threads());
    System.out.print(out);
  }

  private static String run(int batch, int size, int steps) {
    // Channels 3 -> 16 -> 16: the second convolution takes the GEMM weight-gradient and the
    // transposed input-gradient paths, the first the dot-product and col2im ones.
    Sequential net = new Sequential(
        Conv2D.builder(3, 16).kernel(3).padding(Padding.SAME).seed(1).build(), new BatchNorm2D(16), new ReLU(),
        Conv2D.builder(16, 16).kernel(3).padding(Padding.SAME).seed(2).build(), new BatchNorm2D(16), new ReLU(),
        Pool2D.max(2, 2, 0),
        Conv2D.builder(16, 24).kernel(3).stride(2).padding(1).seed(3).build(), new BatchNorm2D(24), new ReLU(),
        new GlobalAvgPool2D(), new Flatten(),
        // Wide enough (batch x 24 x 1024 above Dense's parallel threshold) to be split across threads.
        Dense.builder(24, 1024).seed(4).build(), new ReLU(), Dense.builder(1024, 10).seed(5).build());
    List<Parameter> params = net.parameters();
    Sgd opt = new Sgd(params, 0.05, 0.9, 0, 5e-4, false);
    CrossEntropyLoss loss = new CrossEntropyLoss();
    SplittableRandom random = new SplittableRandom(19);
    int[] labels = new int[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = random.nextInt(10);
    }
    Tensor x = Tensor.normal(Shape.of(batch, 3, size, size), 1f, 11);
    StringBuilder s = new StringBuilder();
    for (int step = 0; step < steps; step++) {
      opt.zeroGrad();
      double l = loss.forward(net.forward(x, true), labels);
      net.backward(loss.backward());
      opt.step();
      s.append("loss").append(step).append(' ').append(Double.doubleToRawLongBits(l)).append(' ').append(l).append('\n');
    }
    for (int i = 0; i < params.size(); i++) {
      line(s, "param" + i + "." + params.get(i).name(), params.get(i).value());
    }
    for (Map.Entry<String, Tensor> e : opt.state().entrySet()) {
      line(s, "state." + e.getKey(), e.getValue());
    }
    return s.toString();
  }

  private static void line(StringBuilder s, String name, Tensor t) {
    float[] d = t.contiguous().data();
    long h = 0xcbf29ce484222325L;
    for (float f : d) {
      h = (h ^ Float.floatToRawIntBits(f)) * 0x100000001b3L;
    }
    s.append(name).append(' ').append(Long.toHexString(h)).append(' ').append(d.length == 0 ? 0f : d[0]).append('\n');
  }
}
