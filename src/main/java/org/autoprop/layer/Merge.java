package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.MergeKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The tensor arithmetic of a merge: combines the tensors that meet at a graph node into one, and
 * splits the upstream gradient back into one gradient per input. The graph's {@code MergeMode}
 * delegates here (the graph package never touches {@code float[]}).
 *
 * <p>For inputs {@code x0..xk} and upstream gradient {@code g}:
 *
 * <ul>
 *   <li>{@link Op#SUM}: {@code y = x0 + ... + xk}; each input gets {@code g}.
 *   <li>{@link Op#SUB}: {@code y = x0 - x1 - ... - xk}; {@code x0} gets {@code g}, the others
 *       {@code -g}.
 *   <li>{@link Op#HADAMARD}: {@code y = x0 * ... * xk}; {@code xi} gets {@code g} times the
 *       product of the others.
 *   <li>{@link Op#AVG}: {@code y = (x0 + ... + xk) / (k + 1)}; each gets {@code g / (k + 1)}.
 *   <li>{@link Op#MAX}, {@link Op#MIN}: elementwise extreme; {@code g} goes to the inputs equal to
 *       the extreme, split equally among ties.
 *   <li>{@link Op#DOT}: {@code y = x0 @ x1} over the last two axes, batched over equal leading
 *       axes; exactly two inputs. {@code gx0 = g @ x1^T}, {@code gx1 = x0^T @ g}.
 *   <li>{@link Op#CHCAT}: concatenation on axis 1; each input gets its slice of {@code g}.
 * </ul>
 *
 * <p>The elementwise modes (all but DOT and CHCAT) broadcast like numpy, e.g. a
 * {@code [N, C, 1, 1]} gate times a {@code [N, C, H, W]} map; the gradient of a broadcast input
 * is summed over its broadcast axes. A merge never writes into its inputs. The output and the
 * gradients are owned by this object and reused while the input shapes stay the same; the output
 * is valid until the next {@link #forward}, the gradients until the next {@link #backward}.
 * Gradients are read-only (the {@link Layer} contract): where they are equal, SUM, SUB and AVG
 * hand back the upstream gradient itself (SUM, and SUB's first input) or one tensor shared by
 * several inputs (AVG, SUB's others), so a returned gradient may also change with the upstream
 * gradient tensor.
 *
 * <p>Three inputs of the output's shape (no broadcasting) take one-pass kernels: the forward and
 * the backward each read every operand once. Large merges run on the engine pool.
 */
public final class Merge {
  /** The merge operations; see the class comment for their semantics. */
  public enum Op {
    /** Elementwise sum. */
    SUM,
    /** {@code x0 - x1 - ... - xk}. */
    SUB,
    /** Elementwise product. */
    HADAMARD,
    /** Elementwise mean. */
    AVG,
    /** Elementwise maximum; ties share the gradient equally. */
    MAX,
    /** Elementwise minimum; ties share the gradient equally. */
    MIN,
    /** Batched matrix product over the last two axes, exactly two inputs. */
    DOT,
    /** Concatenation along axis 1 (channels). */
    CHCAT;

    /** True for the modes that combine elementwise with broadcasting. */
    public boolean elementwise() {
      return this != DOT && this != CHCAT;
    }
  }

  private final Op op;
  private final ElementwiseKernels ew;
  private final MergeKernels mk;
  private final GemmKernels gemm;

  private Shape[] inShapes = new Shape[0];
  private Shape outShape;
  private Plan[] plans;
  private Tensor[] operands;
  private Tensor[] expanded;
  private Tensor[] grads;
  private Tensor[] result;
  private List<Tensor> resultView;
  /** Three inputs of the output's shape: the one-pass kernels apply. */
  private boolean fused3;
  private final Pass pass = new Pass();
  private Tensor out;
  private Tensor tmp;
  private Tensor cnt;
  private boolean forwardDone;

  /** A merge using the kernels chosen for this JVM. */
  public Merge(Op op) {
    this(op, KernelProvider.get());
  }

  /** A merge using the given kernels (tests compare the scalar and the vector ones). */
  public Merge(Op op, KernelProvider kernels) {
    this.op = op;
    this.ew = kernels.elementwise();
    this.mk = kernels.merge();
    this.gemm = kernels.gemm();
  }

  /** The operation. */
  public Op op() {
    return op;
  }

  /**
   * The output shape of {@code op} on inputs of the given shapes, or an
   * {@link IllegalArgumentException} naming the operation and every input shape.
   */
  public static Shape outputShape(Op op, List<Shape> shapes) {
    if (shapes.isEmpty()) {
      throw new IllegalArgumentException(op + " merge needs at least one input (got none)");
    }
    switch (op) {
      case DOT:
        return dotShape(shapes);
      case CHCAT:
        return chcatShape(shapes);
      default:
        Shape s = shapes.get(0);
        try {
          for (int i = 1; i < shapes.size(); i++) {
            s = Shape.broadcast(s, shapes.get(i));
          }
        } catch (IllegalArgumentException e) {
          throw error(op, shapes, e.getMessage() + reshapeHint(shapes));
        }
        return s;
    }
  }

  /**
   * The FLOPs of merging inputs of the given shapes with {@code op} (convention of
   * {@link Layer#flops}): for {@code k} inputs and an output of {@code n} elements, SUM, SUB,
   * HADAMARD, MAX and MIN count {@code (k - 1) * n}, AVG {@code k * n} (the adds and the scaling),
   * DOT {@code 2 * n * K} for the inner dimension {@code K}, CHCAT 0 (a copy). Checks the shapes
   * like {@link #outputShape}.
   */
  public static long flops(Op op, List<Shape> shapes) {
    Shape out = outputShape(op, shapes);
    long n = out.size();
    int k = shapes.size();
    switch (op) {
      case CHCAT:
        return 0;
      case DOT:
        return 2L * n * shapes.get(0).dim(-1);
      case AVG:
        return k * n;
      default:
        return (k - 1) * n;
    }
  }

  /**
   * Broadcasting aligns trailing axes, so a {@code [N, C]} gate meant for {@code [N, C, H, W]}
   * meets H and W instead of N and C: when a shorter input matches the leading axes of a longer
   * one, point to the Reshape that gives it trailing 1s.
   */
  private static String reshapeHint(List<Shape> shapes) {
    Shape longest = shapes.get(0);
    for (Shape s : shapes) {
      if (s.rank() > longest.rank()) {
        longest = s;
      }
    }
    for (Shape s : shapes) {
      if (s.rank() == 0 || s.rank() >= longest.rank()) {
        continue;
      }
      boolean leading = true;
      for (int a = 0; a < s.rank(); a++) {
        leading &= s.dim(a) == longest.dim(a);
      }
      if (leading) {
        int[] dims = new int[longest.rank()];
        java.util.Arrays.fill(dims, 1);
        System.arraycopy(s.dims(), 0, dims, 0, s.rank());
        StringBuilder perSample = new StringBuilder();
        for (int a = 1; a < dims.length; a++) {
          perSample.append(a > 1 ? ", " : "").append(dims[a]);
        }
        return "; broadcasting aligns trailing axes: to apply " + s + " along the leading axes of " + longest
            + ", reshape it to " + Shape.of(dims) + " first (new Reshape(" + perSample + ") before the merge)";
      }
    }
    return "";
  }

  private static Shape dotShape(List<Shape> shapes) {
    if (shapes.size() != 2) {
      throw error(Op.DOT, shapes, "takes exactly 2 inputs (got " + shapes.size() + ")");
    }
    Shape a = shapes.get(0);
    Shape b = shapes.get(1);
    if (a.rank() < 2 || a.rank() != b.rank()) {
      throw error(Op.DOT, shapes, "needs two inputs of equal rank >= 2 (got ranks " + a.rank() + " and " + b.rank() + ")");
    }
    for (int i = 0; i < a.rank() - 2; i++) {
      if (a.dim(i) != b.dim(i)) {
        throw error(Op.DOT, shapes, "batch axis " + i + " has " + a.dim(i) + " vs " + b.dim(i) + " (expected: equal)");
      }
    }
    if (a.dim(-1) != b.dim(-2)) {
      throw error(Op.DOT, shapes, "inner dimensions " + a.dim(-1) + " and " + b.dim(-2) + " differ");
    }
    return a.withDim(-1, b.dim(-1));
  }

  private static Shape chcatShape(List<Shape> shapes) {
    Shape first = shapes.get(0);
    if (first.rank() < 2) {
      throw error(Op.CHCAT, shapes, "needs inputs of rank >= 2 (axis 1 is the channel axis)");
    }
    int channels = 0;
    for (int i = 0; i < shapes.size(); i++) {
      Shape s = shapes.get(i);
      if (s.rank() != first.rank()) {
        throw error(Op.CHCAT, shapes, "input " + i + " has rank " + s.rank() + " (expected: " + first.rank() + ")");
      }
      for (int a = 0; a < s.rank(); a++) {
        if (a != 1 && s.dim(a) != first.dim(a)) {
          throw error(Op.CHCAT, shapes,
              "input " + i + " has " + s.dim(a) + " at axis " + a + " (expected: " + first.dim(a) + ", all axes but 1 must match)");
        }
      }
      channels += s.dim(1);
    }
    return first.withDim(1, channels);
  }

  private static IllegalArgumentException error(Op op, List<Shape> shapes, String why) {
    StringBuilder sb = new StringBuilder(op.toString()).append(" cannot merge input shapes ");
    for (int i = 0; i < shapes.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(shapes.get(i));
    }
    return new IllegalArgumentException(sb.append(": ").append(why).toString());
  }

  /** {@code into := into + g}; both contiguous with equal shapes (the graph's fan-out accumulation). */
  public static void addInto(Tensor into, Tensor g) {
    if (!into.shape().equals(g.shape())) {
      throw new IllegalArgumentException("addInto: gradient shape " + g.shape() + " (expected: " + into.shape() + ")");
    }
    Tensor src = g.contiguous();
    KernelProvider.get().elementwise().add(into.data(), into.offset(), src.data(), src.offset(),
        into.data(), into.offset(), into.size());
  }

  /** Merges {@code xs} (in order); the result is owned by this merge. */
  public Tensor forward(List<Tensor> xs) {
    prepare(xs);
    int k = xs.size();
    for (int i = 0; i < k; i++) {
      Tensor x = xs.get(i).contiguous();
      operands[i] = x;
      if (op.elementwise() && !inShapes[i].equals(outShape)) {
        expand(plans[i], x, expanded[i]);
        operands[i] = expanded[i];
      }
    }
    out = Tensor.reuse(out, outShape);
    switch (op) {
      case DOT:
        dotForward();
        break;
      case CHCAT:
        chcatForward();
        break;
      default:
        if (fused3) {
          pass.run(Pass.FORWARD3, null, 0f);
        } else {
          elementwiseForward(k);
        }
    }
    forwardDone = true;
    return out;
  }

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
    outShape = outputShape(op, Arrays.asList(shapes));
    inShapes = shapes;
    plans = new Plan[shapes.length];
    expanded = new Tensor[shapes.length];
    operands = new Tensor[shapes.length];
    grads = new Tensor[shapes.length];
    result = new Tensor[shapes.length];
    resultView = Arrays.asList(result);
    fused3 = op.elementwise() && shapes.length == 3;
    for (int i = 0; i < shapes.length; i++) {
      if (op.elementwise() && !shapes[i].equals(outShape)) {
        plans[i] = new Plan(shapes[i], outShape);
        expanded[i] = Tensor.zeros(outShape);
        fused3 = false;
      }
      grads[i] = Tensor.zeros(shapes[i]);
    }
  }

  private void elementwiseForward(int k) {
    float[] y = out.data();
    int n = out.size();
    Tensor e0 = operands[0];
    System.arraycopy(e0.data(), e0.offset(), y, 0, n);
    for (int i = 1; i < k; i++) {
      float[] e = operands[i].data();
      int eo = operands[i].offset();
      switch (op) {
        case SUM:
        case AVG:
          ew.add(y, 0, e, eo, y, 0, n);
          break;
        case SUB:
          ew.sub(y, 0, e, eo, y, 0, n);
          break;
        case HADAMARD:
          ew.mul(y, 0, e, eo, y, 0, n);
          break;
        case MAX:
          ew.max(y, 0, e, eo, y, 0, n);
          break;
        case MIN:
          ew.min(y, 0, e, eo, y, 0, n);
          break;
        default:
          throw new AssertionError(op);
      }
    }
    if (op == Op.AVG) {
      ew.scale(1f / k, y, 0, y, 0, n);
    }
  }

  private void dotForward() {
    Tensor a = operands[0];
    Tensor b = operands[1];
    int m = a.dim(-2);
    int kk = a.dim(-1);
    int n = b.dim(-1);
    int batch = a.shape().sizeOf(0, a.rank() - 2);
    for (int t = 0; t < batch; t++) {
      Gemm.multiplySerial(gemm, false, false, m, n, kk, a.data(), a.offset() + t * m * kk, kk,
          b.data(), b.offset() + t * kk * n, n, out.data(), t * m * n, n, false);
    }
  }

  private void chcatForward() {
    pass.run(Pass.CHCAT_FORWARD, null, 0f);
  }

  /**
   * Copies blocks {@code [from, to)} of the concatenation: block {@code q} is image
   * {@code q / k} of input {@code q % k}, one contiguous run in both the input (or its gradient)
   * and the output (or g).
   */
  private void chcatBlocks(boolean forward, Tensor g, int from, int to) {
    int k = operands.length;
    int inner = outShape.sizeOf(2, outShape.rank());
    int total = outShape.dim(1) * inner;
    float[] big = forward ? out.data() : g.data();
    int bigOff = forward ? 0 : g.offset();
    int b = from / k;
    int i = from % k;
    int at = 0;
    for (int j = 0; j < i; j++) {
      at += operands[j].dim(1) * inner;
    }
    for (int q = from; q < to; q++) {
      Tensor x = operands[i];
      int block = x.dim(1) * inner;
      if (forward) {
        System.arraycopy(x.data(), x.offset() + b * block, big, b * total + at, block);
      } else {
        System.arraycopy(big, bigOff + b * total + at, grads[i].data(), b * block, block);
      }
      at += block;
      if (++i == k) {
        i = 0;
        at = 0;
        b++;
      }
    }
  }

  /**
   * The gradient of each input, in the order of the latest {@link #forward}'s inputs, given the
   * gradient of its output. The list and its tensors are owned by this merge.
   */
  public List<Tensor> backward(Tensor gradOut) {
    if (!forwardDone) {
      throw new IllegalStateException(op + " merge: backward before forward");
    }
    if (!gradOut.shape().equals(outShape)) {
      throw new IllegalArgumentException(
          op + " merge: gradient shape " + gradOut.shape() + " (expected: output shape " + outShape + ")");
    }
    Tensor g = gradOut.contiguous();
    switch (op) {
      case DOT:
        dotBackward(g);
        break;
      case CHCAT:
        chcatBackward(g);
        break;
      case SUM:
      case SUB:
      case AVG:
        linearBackward(g);
        break;
      case HADAMARD:
        hadamardBackward(g);
        break;
      default:
        extremeBackward(g);
    }
    return resultView;
  }

  private void linearBackward(Tensor g) {
    int k = grads.length;
    int scaled = -1;
    for (int i = 0; i < k; i++) {
      float f = op == Op.AVG ? 1f / k : (op == Op.SUB && i > 0 ? -1f : 1f);
      Tensor gi = grads[i];
      result[i] = gi;
      if (plans[i] == null) {
        // Unbroadcast inputs share their gradient: g itself, or the one scaled copy (f is the
        // same for every input that is scaled).
        if (f == 1f) {
          result[i] = g;
        } else if (scaled >= 0) {
          result[i] = result[scaled];
        } else {
          pass.run(Pass.SCALE, g, f, gi);
          scaled = i;
        }
      } else {
        reduce(plans[i], g, gi);
        if (f != 1f) {
          ew.scale(f, gi.data(), 0, gi.data(), 0, gi.size());
        }
      }
    }
  }

  private void hadamardBackward(Tensor g) {
    System.arraycopy(grads, 0, result, 0, grads.length);
    if (fused3) {
      pass.run(Pass.MUL3_BACKWARD, g, 0f);
      return;
    }
    int n = outShape.size();
    for (int i = 0; i < grads.length; i++) {
      Tensor target = plans[i] == null ? grads[i] : (tmp = Tensor.reuse(tmp, outShape));
      float[] t = target.data();
      System.arraycopy(g.data(), g.offset(), t, 0, n);
      for (int j = 0; j < grads.length; j++) {
        if (j != i) {
          ew.mul(t, 0, operands[j].data(), operands[j].offset(), t, 0, n);
        }
      }
      if (plans[i] != null) {
        reduce(plans[i], target, grads[i]);
      }
    }
  }

  private void extremeBackward(Tensor g) {
    System.arraycopy(grads, 0, result, 0, grads.length);
    if (fused3) {
      pass.run(Pass.EXTREME3_BACKWARD, g, 0f);
      return;
    }
    int n = outShape.size();
    cnt = Tensor.reuse(cnt, outShape);
    cnt.fill(0f);
    float[] y = out.data();
    for (Tensor e : operands) {
      mk.countTies(e.data(), e.offset(), y, 0, cnt.data(), 0, n);
    }
    for (int i = 0; i < grads.length; i++) {
      Tensor target = plans[i] == null ? grads[i] : (tmp = Tensor.reuse(tmp, outShape));
      Tensor e = operands[i];
      mk.tieGradient(e.data(), e.offset(), y, 0, g.data(), g.offset(), cnt.data(), 0, target.data(), 0, n);
      if (plans[i] != null) {
        reduce(plans[i], target, grads[i]);
      }
    }
  }

  private void dotBackward(Tensor g) {
    System.arraycopy(grads, 0, result, 0, grads.length);
    Tensor a = operands[0];
    Tensor b = operands[1];
    int m = a.dim(-2);
    int kk = a.dim(-1);
    int n = b.dim(-1);
    int batch = a.shape().sizeOf(0, a.rank() - 2);
    float[] ga = grads[0].data();
    float[] gb = grads[1].data();
    for (int t = 0; t < batch; t++) {
      int go = g.offset() + t * m * n;
      // gA[m x k] = g[m x n] * B^T, B stored k x n
      Gemm.multiplySerial(gemm, false, true, m, kk, n, g.data(), go, n, b.data(), b.offset() + t * kk * n, n,
          ga, t * m * kk, kk, false);
      // gB[k x n] = A^T * g, A stored m x k
      Gemm.multiplySerial(gemm, true, false, kk, n, m, a.data(), a.offset() + t * m * kk, kk, g.data(), go, n,
          gb, t * kk * n, n, false);
    }
  }

  private void chcatBackward(Tensor g) {
    System.arraycopy(grads, 0, result, 0, grads.length);
    pass.run(Pass.CHCAT_BACKWARD, g, 0f);
  }

  /**
   * The one-pass loops as a reusable {@link Parallel.Chunk} (no allocation per call): the
   * elementwise passes split the output's elements, the CHCAT copies split (image, input) blocks.
   * Small merges run serially.
   */
  private final class Pass implements Parallel.Chunk {
    static final int FORWARD3 = 0;
    static final int SCALE = 1;
    static final int MUL3_BACKWARD = 2;
    static final int EXTREME3_BACKWARD = 3;
    static final int CHCAT_FORWARD = 4;
    static final int CHCAT_BACKWARD = 5;

    private int kind;
    private Tensor g;
    private float f;
    private Tensor target;

    void run(int what, Tensor grad, float factor) {
      run(what, grad, factor, null);
    }

    void run(int what, Tensor grad, float factor, Tensor into) {
      kind = what;
      g = grad;
      f = factor;
      target = into;
      int n = outShape.size();
      int count = what >= CHCAT_FORWARD ? outShape.dim(0) * operands.length : n;
      try {
        ParallelPolicy.ELEMENTWISE.forChunks(n, count, this);
      } finally {
        g = null;
        target = null;
      }
    }

    @Override
    public void run(int from, int to) {
      int n = to - from;
      Tensor a = operands[0];
      if (kind == SCALE) {
        ew.scale(f, g.data(), g.offset() + from, target.data(), from, n);
        return;
      }
      if (kind >= CHCAT_FORWARD) {
        chcatBlocks(kind == CHCAT_FORWARD, g, from, to);
        return;
      }
      Tensor b = operands[1];
      Tensor c = operands[2];
      float[] ad = a.data();
      float[] bd = b.data();
      float[] cd = c.data();
      int ao = a.offset() + from;
      int bo = b.offset() + from;
      int co = c.offset() + from;
      if (kind == FORWARD3) {
        float[] y = out.data();
        switch (op) {
          case SUM:
            mk.sum3(ad, ao, bd, bo, cd, co, 1f, y, from, n);
            break;
          case AVG:
            mk.sum3(ad, ao, bd, bo, cd, co, 1f / 3, y, from, n);
            break;
          case SUB:
            mk.sub3(ad, ao, bd, bo, cd, co, y, from, n);
            break;
          case HADAMARD:
            mk.mul3(ad, ao, bd, bo, cd, co, y, from, n);
            break;
          case MAX:
            mk.max3(ad, ao, bd, bo, cd, co, y, from, n);
            break;
          case MIN:
            mk.min3(ad, ao, bd, bo, cd, co, y, from, n);
            break;
          default:
            throw new AssertionError(op);
        }
        return;
      }
      float[] gd = g.data();
      int go = g.offset() + from;
      if (kind == MUL3_BACKWARD) {
        mk.mul3Backward(ad, ao, bd, bo, cd, co, gd, go,
            grads[0].data(), from, grads[1].data(), from, grads[2].data(), from, n);
      } else {
        mk.extreme3Backward(op == Op.MAX, ad, ao, bd, bo, cd, co, gd, go,
            grads[0].data(), from, grads[1].data(), from, grads[2].data(), from, n);
      }
    }
  }

  /** dst (output shape) := src broadcast to the output shape. */
  private static void expand(Plan p, Tensor src, Tensor dst) {
    float[] s = src.data();
    float[] d = dst.data();
    int base = src.offset();
    int[] idx = p.index;
    Arrays.fill(idx, 0);
    int inOff = 0;
    for (int q = 0, o = 0; q < p.outer; q++, o += p.run) {
      if (p.runBroadcast) {
        Arrays.fill(d, o, o + p.run, s[base + inOff]);
      } else {
        System.arraycopy(s, base + inOff, d, o, p.run);
      }
      inOff = p.advance(idx, inOff);
    }
  }

  /** dst (input shape) := t (output shape) summed over the broadcast axes. */
  private void reduce(Plan p, Tensor t, Tensor dst) {
    float[] s = t.data();
    int base = t.offset();
    float[] d = dst.data();
    dst.fill(0f);
    int[] idx = p.index;
    Arrays.fill(idx, 0);
    int inOff = 0;
    for (int q = 0, o = base; q < p.outer; q++, o += p.run) {
      if (p.runBroadcast) {
        d[inOff] += (float) ew.sum(s, o, p.run);
      } else {
        ew.add(d, inOff, s, o, d, inOff, p.run);
      }
      inOff = p.advance(idx, inOff);
    }
  }

  /**
   * How an input maps onto the output under broadcasting: axes of extent 1 in the output are
   * dropped, neighbouring axes that are all broadcast (or all not) are fused, the last fused
   * group is the inner run (contiguous in both, or one input value repeated), the others are
   * walked with an odometer. Built once per shape change.
   */
  private static final class Plan {
    final int[] sizes;
    final int[] strides;
    final int[] index;
    final int outer;
    final int run;
    final boolean runBroadcast;

    Plan(Shape in, Shape out) {
      int r = out.rank();
      int[] gs = new int[r + 1];
      boolean[] gb = new boolean[r + 1];
      int groups = 0;
      for (int a = 0; a < r; a++) {
        int o = out.dim(a);
        int ia = a - (r - in.rank());
        int i = ia < 0 ? 1 : in.dim(ia);
        if (o == 1) {
          continue;
        }
        boolean b = i == 1;
        if (groups > 0 && gb[groups - 1] == b) {
          gs[groups - 1] *= o;
        } else {
          gs[groups] = o;
          gb[groups] = b;
          groups++;
        }
      }
      if (groups == 0) {
        gs[0] = 1;
        groups = 1;
      }
      int[] st = new int[groups];
      int stride = 1;
      for (int g = groups - 1; g >= 0; g--) {
        if (!gb[g]) {
          st[g] = stride;
          stride *= gs[g];
        }
      }
      run = gs[groups - 1];
      runBroadcast = gb[groups - 1];
      sizes = Arrays.copyOf(gs, groups - 1);
      strides = Arrays.copyOf(st, groups - 1);
      index = new int[groups - 1];
      int o = 1;
      for (int s : sizes) {
        o *= s;
      }
      outer = out.size() == 0 ? 0 : o;
    }

    /** Steps the odometer to the next run; returns the input offset of that run. */
    int advance(int[] idx, int inOff) {
      for (int g = idx.length - 1; g >= 0; g--) {
        inOff += strides[g];
        if (++idx[g] < sizes[g]) {
          return inOff;
        }
        inOff -= strides[g] * sizes[g];
        idx[g] = 0;
      }
      return inOff;
    }
  }
}
