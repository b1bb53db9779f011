package org.autoprop.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.autoprop.layer.Layer;
import org.autoprop.layer.MultiInputLayer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A Keras-style summary of a built {@link LayerGraph} for one input shape (the batch included):
 * one row per node in execution order, then the totals.
 *
 * <pre>{@code
 * GraphSummary s = GraphSummary.of(graph, Shape.of(32, 1, 28, 28));
 * System.out.print(s.table());
 * long p = s.trainableParams();
 * }</pre>
 *
 * <p>Definitions:
 *
 * <ul>
 *   <li><b>Params</b> of a row: trainable parameter elements ({@link Layer#parameters()}) plus
 *       non-trainable buffer elements ({@link Layer#buffers()}, e.g. BatchNorm's running mean and
 *       variance, not its {@code num_batches_tracked} count), as in Keras' "Param #".
 *   <li><b>FLOPs</b> of a row: the node's merge ({@link MergeMode#flops}, when it has several
 *       inputs) plus its layer's {@link Layer#flops} on the merged input (for a layer of several
 *       ordered inputs, {@link MultiInputLayer#flops(List)} on the unmerged inputs, with no merge);
 *       one inference forward pass, multiply-add = 2 FLOPs.
 *   <li><b>Activation memory</b>: the sum of the output sizes of the graph's nodes, times 4 bytes
 *       (float32), for the given batch. It leaves out the intermediates inside a Sequential or a
 *       nested graph, merge buffers and scratch space (im2col columns), so it is a lower bound of
 *       what a forward pass holds. Training keeps a gradient of the same size per output, so
 *       {@link #trainingActivationBytes()} is twice {@link #activationBytes()}.
 *   <li>A node whose layer is a {@link Sequential} gets its row with the Sequential's totals,
 *       followed by one indented row per child ({@code NODE.CHILD}, depth 1); child rows are
 *       details and do not enter the totals. A nested {@link LayerGraph} is one row with its totals.
 * </ul>
 */
public final class GraphSummary {
  /**
   * One row of the table.
   *
   * @param depth 0 for a graph node, 1 for a child of a Sequential node
   * @param name the node name, or {@code NODE.CHILD} for a child
   * @param type the layer's {@link Layer#typeName()}
   * @param output the output shape
   * @param trainable trainable parameter elements
   * @param nonTrainable buffer elements (not trained)
   * @param flops FLOPs of one inference forward pass, the merge included
   * @param inputs the predecessors in merge order (empty for the root and for children)
   * @param merge the merge mode when the node merges several inputs, else null
   */
  public record Row(int depth, String name, String type, Shape output, long trainable, long nonTrainable,
      long flops, List<String> inputs, MergeMode merge) {
    /** trainable + nonTrainable. */
    public long params() {
      return trainable + nonTrainable;
    }
  }

  private static final String[] HEADER = {"Node", "Layer", "Output Shape", "Params", "FLOPs", "Connected to"};

  private final Shape input;
  private final List<Row> rows;
  private final LayerGraph.ParamSize paramSize;
  private final Shape output;

  private GraphSummary(Shape input, List<Row> rows, LayerGraph.ParamSize paramSize, Shape output) {
    this.input = input;
    this.rows = Collections.unmodifiableList(rows);
    this.paramSize = paramSize;
    this.output = output;
  }

  /**
   * The summary of {@code graph} for an input of shape {@code input} ({@code input.dim(0)} is the
   * batch).
   *
   * @throws IllegalStateException if the graph is not built
   * @throws IllegalArgumentException if shape inference fails (the message names the node)
   */
  public static GraphSummary of(LayerGraph graph, Shape input) {
    java.util.Objects.requireNonNull(graph, "graph");
    java.util.Objects.requireNonNull(input, "input");
    Shape out = graph.outputShape(input); // validates with node-naming messages before we walk
    List<LayerNode> order = graph.order();
    List<Shape> shapes = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    for (LayerNode v : order) {
      List<LayerNode> preds = v == graph.root() ? List.of() : graph.predecessors(v);
      Shape in;
      long mergeFlops = 0;
      MergeMode merge = null;
      if (preds.isEmpty()) {
        in = input;
      } else if (preds.size() == 1) {
        in = shapes.get(order.indexOf(preds.get(0)));
      } else if (v.layer() instanceof MultiInputLayer m) {
        List<Shape> incoming = new ArrayList<>();
        for (LayerNode p : preds) {
          incoming.add(shapes.get(order.indexOf(p)));
        }
        Shape y = m.outputShape(incoming);
        shapes.add(y);
        List<String> names = new ArrayList<>();
        for (LayerNode p : preds) {
          names.add(p.name());
        }
        rows.add(new Row(0, v.name(), m.typeName(), y, trainable(m), nonTrainable(m), m.flops(incoming),
            List.copyOf(names), null));
        continue;
      } else {
        List<Shape> incoming = new ArrayList<>();
        for (LayerNode p : preds) {
          incoming.add(shapes.get(order.indexOf(p)));
        }
        in = v.mode().outputShape(incoming);
        mergeFlops = v.mode().flops(incoming);
        merge = v.mode();
      }
      Layer l = v.layer();
      Shape y = l.outputShape(in);
      shapes.add(y);
      List<String> names = new ArrayList<>();
      for (LayerNode p : preds) {
        names.add(p.name());
      }
      rows.add(new Row(0, v.name(), l.typeName(), y, trainable(l), nonTrainable(l), mergeFlops + l.flops(in),
          List.copyOf(names), merge));
      if (l instanceof Sequential seq) {
        Shape s = in;
        for (int i = 0; i < seq.size(); i++) {
          Layer c = seq.layers().get(i);
          Shape cy = c.outputShape(s);
          rows.add(new Row(1, v.name() + "." + seq.names().get(i), c.typeName(), cy, trainable(c), nonTrainable(c),
              c.flops(s), List.of(), null));
          s = cy;
        }
      }
    }
    return new GraphSummary(input, rows, graph.paramSize(), out);
  }

  /** The summary for a batch of {@code batch} samples of shape {@code sample} (no batch axis). */
  public static GraphSummary of(LayerGraph graph, Shape sample, int batch) {
    java.util.Objects.requireNonNull(graph, "graph");
    java.util.Objects.requireNonNull(sample, "sample");
    if (batch < 1) {
      throw new IllegalArgumentException("GraphSummary: batch " + batch + " (expected: >= 1)");
    }
    int[] dims = new int[sample.rank() + 1];
    dims[0] = batch;
    System.arraycopy(sample.dims(), 0, dims, 1, sample.rank());
    return of(graph, Shape.of(dims));
  }

  private static long trainable(Layer l) {
    long n = 0;
    for (Parameter p : l.parameters()) {
      n += p.value().size();
    }
    return n;
  }

  private static long nonTrainable(Layer l) {
    long n = 0;
    for (Map.Entry<String, Tensor> e : l.buffers().entrySet()) {
      if (!e.getKey().endsWith("num_batches_tracked")) { // a count, not a weight (Keras has none)
        n += e.getValue().size();
      }
    }
    return n;
  }

  /** The input shape the summary was made for. */
  public Shape input() {
    return input;
  }

  /** The graph's output shape. */
  public Shape output() {
    return output;
  }

  /** The batch size, {@code input().dim(0)}. */
  public int batch() {
    return input.dim(0);
  }

  /** The rows: graph nodes in execution order, each followed by its Sequential children if any. */
  public List<Row> rows() {
    return rows;
  }

  /** The rows of the graph's nodes only (depth 0), in execution order. */
  public List<Row> nodeRows() {
    List<Row> out = new ArrayList<>();
    for (Row r : rows) {
      if (r.depth() == 0) {
        out.add(r);
      }
    }
    return out;
  }

  /** Trainable parameter elements of the whole graph. */
  public long trainableParams() {
    long n = 0;
    for (Row r : nodeRows()) {
      n += r.trainable();
    }
    return n;
  }

  /** Non-trainable buffer elements of the whole graph (BatchNorm running statistics). */
  public long nonTrainableParams() {
    long n = 0;
    for (Row r : nodeRows()) {
      n += r.nonTrainable();
    }
    return n;
  }

  /** Trainable plus non-trainable elements. */
  public long totalParams() {
    return trainableParams() + nonTrainableParams();
  }

  /** FLOPs of one inference forward pass of the whole graph, merges included. */
  public long flops() {
    long n = 0;
    for (Row r : nodeRows()) {
      n += r.flops();
    }
    return n;
  }

  /** The summed output elements of the graph's nodes for this batch (see the class comment). */
  public long activationElements() {
    long n = 0;
    for (Row r : nodeRows()) {
      n += r.output().size();
    }
    return n;
  }

  /** {@link #activationElements()} times 4 bytes: what a forward pass keeps, at least. */
  public long activationBytes() {
    return 4 * activationElements();
  }

  /** Twice {@link #activationBytes()}: the outputs plus one gradient of the same size each. */
  public long trainingActivationBytes() {
    return 2 * activationBytes();
  }

  /** The table, then the totals, one line each, ending with a newline. */
  public String table() {
    List<String[]> cells = new ArrayList<>();
    cells.add(HEADER);
    for (Row r : rows) {
      StringBuilder from = new StringBuilder();
      if (r.depth() == 0 && r.inputs().isEmpty()) {
        from.append("input ").append(input);
      }
      from.append(String.join(", ", r.inputs()));
      if (r.merge() != null) {
        from.append(" [").append(r.merge()).append(']');
      }
      cells.add(new String[] {"  ".repeat(r.depth()) + r.name(), r.type(), r.output().toString(),
          Long.toString(r.params()), count(r.flops()), from.toString()});
    }
    int[] width = new int[HEADER.length];
    for (String[] c : cells) {
      for (int i = 0; i < width.length; i++) {
        width[i] = Math.max(width[i], c[i].length());
      }
    }
    int line = 0;
    for (int w : width) {
      line += w + 2;
    }
    String rule = "-".repeat(line - 2) + "\n";
    StringBuilder sb = new StringBuilder();
    for (int r = 0; r < cells.size(); r++) {
      StringBuilder row = new StringBuilder();
      for (int c = 0; c < width.length; c++) {
        String cell = cells.get(r)[c];
        String pad = " ".repeat(width[c] - cell.length());
        boolean number = (c == 3 || c == 4) && r > 0;
        row.append(number ? pad + cell : cell + pad).append("  ");
      }
      sb.append(row.toString().stripTrailing()).append('\n');
      if (r == 0) {
        sb.append(rule);
      }
    }
    sb.append(rule);
    sb.append(String.format(Locale.ROOT, "Total params: %s (%,d)%n", count(totalParams()), totalParams()));
    sb.append(String.format(Locale.ROOT, "Trainable params: %,d (weights: %,d, biases: %,d)%n",
        trainableParams(), paramSize.weights(), paramSize.biases()));
    sb.append(String.format(Locale.ROOT, "Non-trainable params: %,d (buffers, e.g. BatchNorm running statistics)%n",
        nonTrainableParams()));
    sb.append(String.format(Locale.ROOT, "Total FLOPs: %s (%,d) per inference forward pass, multiply-add = 2%n",
        count(flops()), flops()));
    sb.append(String.format(Locale.ROOT,
        "Activation memory (batch %d): %s (%,d node-output floats x 4 bytes); with gradients in training: %s%n",
        batch(), bytes(activationBytes()), activationElements(), bytes(trainingActivationBytes())));
    sb.append(String.format(Locale.ROOT, "Total layers: %d%n", nodeRows().size()));
    sb.append(String.format(Locale.ROOT, "Output shape: %s%n", output));
    return sb.toString();
  }

  /** The table; see {@link #table()}. */
  @Override
  public String toString() {
    return table();
  }

  /**
   * A count with a decimal unit and three significant digits: {@code 999}, {@code 1.23K},
   * {@code 45.6M}, {@code 789G}, {@code 1.20T}.
   */
  public static String count(long n) {
    if (Math.abs(n) < 1000) {
      return Long.toString(n);
    }
    String[] units = {"K", "M", "G", "T", "P", "E"};
    double v = n;
    int u = -1;
    while (Math.abs(v) >= 999.5 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return threeDigits(v) + units[u];
  }

  /** A byte count with a binary unit: {@code 512 B}, {@code 1.50 KiB}, {@code 12.0 MiB}. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = n;
    int u = -1;
    while (v >= 1023.5 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return threeDigits(v) + " " + units[u];
  }

  private static String threeDigits(double v) {
    double a = Math.abs(v);
    String f = a >= 99.95 ? "%.0f" : a >= 9.995 ? "%.1f" : "%.2f";
    return String.format(Locale.ROOT, f, v);
  }
}
