package org.autoprop.layer.merge;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.MergeKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Runs one {@link MergeRule}: combines the tensors that meet at a graph node into one, and splits
 * the upstream gradient back into one gradient per input. The rule says what to compute; this
 * object holds what every mode shares: the buffers, the broadcasting plans of the elementwise
 * modes, the choice of the one-pass three-input kernels and the split over the engine threads.
 *
 * <p>The elementwise rules broadcast like numpy, e.g. a {@code [N, C, 1, 1]} gate times a
 * {@code [N, C, H, W]} map; the gradient of a broadcast input is summed over its broadcast axes. A
 * merge never writes into its inputs. The output and the gradients are owned by this object and
 * reused while the input shapes stay the same; the output is valid until the next
 * {@link #forward}, the gradients until the next {@link #backward}. Gradients are read-only (the
 * {@link org.autoprop.layer.Layer} contract): where they are equal, a rule may hand back the
 * upstream gradient itself or one tensor shared by several inputs (SUM, SUB and AVG do), so a
 * returned gradient may also change with the upstream gradient tensor.
 *
 * <p>Three inputs of the output's shape (no broadcasting) take one-pass kernels: the forward and
 * the backward each read every operand once. Large merges run on the engine pool. The kernels are
 * those of {@link KernelProvider#current()} when the merge is made.
 */
public final class Merge {
  /** Below this many output elements a pass is not worth waking the pool for. */

  /** The loop of {@link #scaleUpstream}. */
  private static final Loop SCALE = (m, from, to) ->
      m.ew.scale(m.scaleFactor, m.upstream.data(), m.upstream.offset() + from, m.scaleTarget.data(), from, to - from);

  private final MergeRule rule;
  /** The kernels the rules call, read once from {@link KernelProvider#current()}. */
  final ElementwiseKernels ew;
  /** See {@link #ew}. */
  final MergeKernels mk;
  /** See {@link #ew}. */
  final GemmKernels gemm;

  private Shape[] inShapes = new Shape[0];
  private Shape outShape;
  private BroadcastPlan[] plans;
  private Tensor[] operands;
  private Tensor[] expanded;
  private Tensor[] grads;
  private Tensor[] result;
  private List<Tensor> resultView;
  /** Three inputs of the output's shape: the one-pass kernels apply. */
  private boolean onePass;
  private final Pass pass = new Pass();
  private Tensor out;
  private Tensor scratch;
  private Tensor counts;
  /** The upstream gradient during {@link #backward}, for the rules' loops. */
  private Tensor upstream;
  private float scaleFactor;
  private Tensor scaleTarget;
  private boolean forwardDone;

  /** A merge by {@code rule} on the kernels of {@link KernelProvider#current()}. */
  public Merge(MergeRule rule) {
    this.rule = Objects.requireNonNull(rule, "rule");
    KernelProvider kernels = KernelProvider.current();
    this.ew = kernels.elementwise();
    this.mk = kernels.merge();
    this.gemm = kernels.gemm();
  }

  /** The mode this merge runs. */
  public MergeRule rule() {
    return rule;
  }

  /** Merges {@code xs} (in order); the result is owned by this merge. */
  public Tensor forward(List<Tensor> xs) {
    prepare(xs);
    for (int i = 0; i < xs.size(); i++) {
      Tensor x = xs.get(i).contiguous();
      operands[i] = x;
      if (plans[i] != null) {
        plans[i].expand(x, expanded[i]);
        operands[i] = expanded[i];
      }
    }
    out = Tensor.reuse(out, outShape);
    rule.forward(this);
    forwardDone = true;
    return out;
  }

  /** Re-plans when the input shapes differ from the latest forward's. */
  private void prepare(List<Tensor> xs) {
    boolean same = xs.size() == inShapes.length;
    for (int i = 0; same && i < xs.size(); i++) {
      same = xs.get(i).shape().equals(inShapes[i]);
    }
    if (same) {
      return;
    }
    Shape[] shapes = new Shape[xs.size()];
    for (int i = 0; i < shapes.length; i++) {
      shapes[i] = xs.get(i).shape();
    }
    outShape = rule.outputShape(Arrays.asList(shapes));
    inShapes = shapes;
    plans = new BroadcastPlan[shapes.length];
    expanded = new Tensor[shapes.length];
    operands = new Tensor[shapes.length];
    grads = new Tensor[shapes.length];
    result = new Tensor[shapes.length];
    resultView = Arrays.asList(result);
    boolean elementwise = rule.elementwise();
    onePass = elementwise && shapes.length == 3;
    for (int i = 0; i < shapes.length; i++) {
      if (elementwise && !shapes[i].equals(outShape)) {
        plans[i] = new BroadcastPlan(shapes[i], outShape);
        expanded[i] = Tensor.zeros(outShape);
        onePass = false;
      }
      grads[i] = Tensor.zeros(shapes[i]);
    }
  }

  /**
   * The gradient of each input, in the order of the latest {@link #forward}'s inputs, given the
   * gradient of its output. The list and its tensors are owned by this merge.
   */
  public List<Tensor> backward(Tensor gradOut) {
    if (!forwardDone) {
      throw new IllegalStateException(rule + " merge: backward before forward");
    }
    if (!gradOut.shape().equals(outShape)) {
      throw new IllegalArgumentException(
          rule + " merge: gradient shape " + gradOut.shape() + " (expected: output shape " + outShape + ")");
    }
    Tensor g = gradOut.contiguous();
    System.arraycopy(grads, 0, result, 0, grads.length);
    upstream = g;
    try {
      rule.backward(this, g);
    } finally {
      upstream = null;
    }
    return resultView;
  }

  // What the rules see of the merge they run.

  /** The number of inputs of the latest forward. */
  int inputs() {
    return operands.length;
  }

  /** Input {@code i}, contiguous; for an elementwise rule, expanded to the output shape. */
  Tensor operand(int i) {
    return operands[i];
  }

  /** The output buffer of the current forward. */
  Tensor output() {
    return out;
  }

  /** The upstream gradient of the current backward (contiguous). */
  Tensor upstream() {
    return upstream;
  }

  /**
   * This merge's gradient buffer of input {@code i} (the input's shape); returned unless
   * {@link #handBack} replaces it.
   */
  Tensor gradient(int i) {
    return grads[i];
  }

  /**
   * Returns {@code t} as the gradient of input {@code i} instead of {@link #gradient}{@code (i)}:
   * the upstream gradient itself, or another input's gradient, when they are equal.
   */
  void handBack(int i, Tensor t) {
    result[i] = t;
  }

  /** True when an elementwise rule's three inputs all have the output's shape: one-pass kernels apply. */
  boolean onePass() {
    return onePass;
  }

  /** True when input {@code i} of an elementwise rule is broadcast (its shape is not the output's). */
  boolean broadcast(int i) {
    return plans[i] != null;
  }

  /** {@link #gradient}{@code (i)} := {@code t} (output shape) summed over the broadcast axes of input i. */
  void reduceInto(int i, Tensor t) {
    plans[i].reduce(ew, t, grads[i]);
  }

  /** A scratch tensor of the output's shape, reused from call to call. */
  Tensor scratch() {
    return scratch = Tensor.reuse(scratch, outShape);
  }

  /** A second scratch tensor of the output's shape (MAX and MIN count ties in it). */
  Tensor counts() {
    return counts = Tensor.reuse(counts, outShape);
  }

  /** {@code into := f * upstream()} over the output's elements, split over the pool when large. */
  void scaleUpstream(float f, Tensor into) {
    scaleFactor = f;
    scaleTarget = into;
    try {
      split(outShape.size(), SCALE);
    } finally {
      scaleTarget = null;
    }
  }

  /**
   * Runs {@code loop} over the items {@code [0, count)} (output elements, or any split the rule
   * defines), on the engine pool when {@link ParallelPolicy#ELEMENTWISE} says the output is large enough.
   */
  void split(int count, Loop loop) {
    pass.run(count, loop);
  }

  /**
   * The body of a pass that {@link #split} may run on several threads at once: it handles the
   * items {@code [from, to)} of merge {@code m} and writes only their outputs. Rules keep their
   * loops in final fields, made once (no allocation per call).
   */
  @FunctionalInterface
  interface Loop {
    /** Handles items {@code from} (inclusive) to {@code to} (exclusive). */
    void run(Merge m, int from, int to);
  }

  /** The reusable {@link Parallel.Chunk} of {@link #split} (no allocation per call). */
  private final class Pass implements Parallel.Chunk {
    private Loop loop;

    void run(int count, Loop what) {
      loop = what;
      try {
        ParallelPolicy.ELEMENTWISE.forChunks(outShape.size(), count, this);
      } finally {
        loop = null;
      }
    }

    @Override
    public void run(int from, int to) {
      loop.run(Merge.this, from, to);
    }
  }
}
