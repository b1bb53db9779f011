package org.autoprop.layer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Layers applied one after another: {@code y = f_n(... f_1(f_0(x)))}, like PyTorch's
 * {@code nn.Sequential}.
 *
 * <p>Children are named {@code "0"}, {@code "1"}, ... (or by the keys of the map given to
 * {@link #Sequential(LinkedHashMap)}); parameters and buffers carry the child's name as a prefix
 * ({@code 0.weight}, {@code 1.running_mean}). The same layer object may not appear twice, since a
 * layer keeps the state of its latest forward.
 *
 * <p>Fusion ({@link Fusion}): a child that can absorb the next one ({@link FusesNext}) runs both as
 * one fused layer over its own parameters and buffers (the same numbers, one pass fewer), and the
 * absorbed child is skipped in forward and backward. A {@link BatchNorm2D} child immediately
 * followed by a {@link ReLU} child runs as one {@link BatchNormReLU2D}, and the batch norm's output
 * buffer holds the post-ReLU values. On by default ({@link Fusion#BY_DEFAULT});
 * {@link #fusion(boolean)} switches it for this sequential.
 *
 * <p>As every layer, a sequential is single-threaded: a second thread entering {@link #forward}
 * or {@link #backward} while another is inside fails at once with an
 * {@link IllegalStateException} naming both threads. Its input and output must not be written
 * between a forward and its backward. {@link #detectAnomalies(boolean)} checks every child's
 * output and gradients and that no child's input changed before its backward (see
 * {@link Layer#detectAnomalies}); a child is named by its name ({@code 1}), and by
 * {@code NODE.1} when the sequential is the layer of a graph node.
 */
public final class Sequential implements Layer {
  private final List<String> names;
  private final List<Layer> layers;
  // What runs at each child index (Fusion.plan): the child, a fused layer for the first child of a
  // fused run, null for the children it absorbed. Forward records the plan it used; backward
  // follows that one.
  private Layer[] plan;
  private Layer[] lastPlan;
  /** The output shape of the latest completed forward, null before one. */
  private Shape outputShape;
  private boolean fusionOn;
  private boolean anomalies;
  private CheckedSteps checked; // made when anomaly detection first runs
  private final SingleThreadGuard guard =
      new SingleThreadGuard(this::identity, "a layer is single-threaded: it reuses its buffers");

  /** Children named {@code "0"}, {@code "1"}, ... in order; at least one. */
  public Sequential(Layer... layers) {
    this(indexed(layers));
  }

  /** Children with the given names, in the map's iteration order; at least one. */
  public Sequential(LinkedHashMap<String, Layer> layers) {
    Objects.requireNonNull(layers, "layers");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("Sequential needs at least one layer (got none)");
    }
    Map<Layer, String> seen = new IdentityHashMap<>();
    for (Map.Entry<String, Layer> e : layers.entrySet()) {
      if (e.getKey() == null || e.getKey().isEmpty()) {
        throw new IllegalArgumentException("Sequential: child names must not be empty");
      }
      if (e.getValue() == null) {
        throw new NullPointerException("layers: child '" + e.getKey() + "' is null");
      }
      String before = seen.put(e.getValue(), e.getKey());
      if (before != null) {
        throw new IllegalArgumentException("Sequential: the same " + e.getValue().typeName()
            + " object is both child '" + before + "' and child '" + e.getKey() + "'");
      }
    }
    this.names = List.copyOf(layers.keySet());
    this.layers = List.copyOf(layers.values());
    this.plan = plan(Fusion.BY_DEFAULT);
  }

  /**
   * Turns fusion (BatchNorm2D + ReLU) on or off for this sequential (not for nested ones); takes
   * effect at the next forward. Returns this.
   */
  public Sequential fusion(boolean on) {
    plan = plan(on);
    return this;
  }

  /** Whether adjacent children that can fuse run fused (the setting, whether or not such a pair exists). */
  public boolean fusion() {
    return fusionOn;
  }

  private Layer[] plan(boolean fuse) {
    fusionOn = fuse;
    Layer[] children = layers.toArray(new Layer[0]);
    if (!fuse) {
      return children;
    }
    int[] next = new int[children.length];
    for (int i = 0; i < next.length; i++) {
      next[i] = i + 1 < next.length ? i + 1 : -1;
    }
    return Fusion.plan(children, next);
  }

  private static LinkedHashMap<String, Layer> indexed(Layer[] layers) {
    LinkedHashMap<String, Layer> m = new LinkedHashMap<>();
    for (int i = 0; i < layers.length; i++) {
      m.put(Integer.toString(i), layers[i]);
    }
    return m;
  }

  /** The children in order. */
  public List<Layer> layers() {
    return layers;
  }

  /** The child names in order. */
  public List<String> names() {
    return names;
  }

  /** The number of children. */
  public int size() {
    return layers.size();
  }

  /** The last child's output shape; an error names the child that cannot take its input. */
  @Override
  public Shape outputShape(Shape input) {
    Objects.requireNonNull(input, "input");
    Shape s = input;
    for (int i = 0; i < layers.size(); i++) {
      try {
        s = layers.get(i).outputShape(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "Sequential child '" + names.get(i) + "' (" + layers.get(i).typeName() + "): " + e.getMessage(), e);
      }
    }
    return s;
  }

  /** Runs the children in order; returns the last child's output (owned by it). */
  @Override
  public Tensor forward(Tensor x, boolean training) {
    Objects.requireNonNull(x, "x");
    enter("forward");
    try {
      outputShape = null;
      if (checked != null) {
        checked.startForward();
      }
      Tensor t;
      if (anomalies) {
        t = forwardChecked(x, training);
      } else {
        Layer[] p = plan;
        t = x;
        for (Layer l : p) {
          if (l != null) {
            t = l.forward(t, training);
          }
        }
        lastPlan = p;
      }
      outputShape = t.shape();
      return t;
    } finally {
      guard.leave();
    }
  }


  private Tensor forwardChecked(Tensor x, boolean training) {
    Layer[] p = plan;
    CheckedSteps c = checked();
    c.requireFinite(0, x, "input");
    Tensor t = x;
    for (int i = 0; i < p.length; i++) {
      if (p[i] != null) {
        t = c.forward(i, p[i], t, training);
      }
    }
    lastPlan = p;
    c.finishForward();
    return t;
  }

  private CheckedSteps checked() {
    if (checked == null) {
      checked = new CheckedSteps(names, layers);
    }
    return checked;
  }

  /**
   * Turns anomaly detection on or off for this sequential and its children (see
   * {@link Layer#detectAnomalies}). Off by default; when off it costs one branch per call.
   */
  @Override
  public boolean detectsAnomalies() {
    return anomalies;
  }

  @Override
  public void detectAnomalies(boolean on) {
    anomalies = on;
    for (Layer l : layers) {
      l.detectAnomalies(on);
    }
  }

  private void enter(String op) {
    guard.enter(op);
  }

  /** This sequential as the thread guard names it. */
  private String identity() {
    return "Sequential(" + names.size() + " children)@" + Integer.toHexString(System.identityHashCode(this));
  }

  /** Runs the children backward in reverse order; returns the first child's input gradient. */
  @Override
  public Tensor backward(Tensor gradOut) {
    return backward(gradOut, true);
  }

  /** The first child is told whether the input gradient is needed; the others always compute theirs. */
  @Override
  public Tensor backward(Tensor gradOut, boolean inputGradient) {
    Objects.requireNonNull(gradOut, "gradOut");
    enter("backward");
    try {
      LayerChecks.checkGradient(typeName(), outputShape, gradOut.shape());
      Layer[] p = lastPlan == null ? plan : lastPlan;
      int first = 0;
      while (first < p.length && p[first] == null) {
        first++;
      }
      if (anomalies) {
        return backwardChecked(p, first, gradOut, inputGradient);
      }
      Tensor g = gradOut;
      for (int i = p.length - 1; i >= 0; i--) {
        if (p[i] != null) {
          g = i == first ? p[i].backward(g, inputGradient) : p[i].backward(g);
        }
      }
      return g;
    } finally {
      guard.leave();
    }
  }

  private Tensor backwardChecked(Layer[] p, int first, Tensor gradOut, boolean inputGradient) {
    String me = "Sequential(" + names.size() + " children)";
    CheckedSteps c = checked();
    Tensor g = gradOut;
    for (int i = p.length - 1; i >= 0; i--) {
      if (p[i] != null) {
        g = c.backward(me, i, p[i], g, i != first || inputGradient);
      }
    }
    return g;
  }

  /** The children's parameters in order, named {@code CHILD.PARAM}. */
  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      for (Parameter p : layers.get(i).parameters()) {
        out.add(p.withPrefix(names.get(i)));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** The children's buffers in order, named {@code CHILD.BUFFER}. */
  @Override
  public Map<String, Tensor> buffers() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      for (Map.Entry<String, Tensor> e : layers.get(i).buffers().entrySet()) {
        out.put(names.get(i) + "." + e.getKey(), e.getValue());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Zeroes every child's parameter gradients. */
  @Override
  public void zeroGrad() {
    for (Layer l : layers) {
      l.zeroGrad();
    }
  }

  /** The sum of the children's flops. */
  @Override
  public long flops(Shape input) {
    Objects.requireNonNull(input, "input");
    long f = 0;
    Shape s = input;
    for (Layer l : layers) {
      f += l.flops(s);
      s = l.outputShape(s);
    }
    return f;
  }

  /** {@code Sequential}. */
  @Override
  public String typeName() {
    return "Sequential";
  }
}
