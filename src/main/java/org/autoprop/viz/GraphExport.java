package org.autoprop.viz;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.autoprop.graph.GraphSummary;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Layer;
import org.autoprop.layer.MultiInputLayer;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;

/**
 * Pictures of a built {@link LayerGraph}: Graphviz DOT and Mermaid flowchart text, and an SVG
 * rendered by Graphviz when it is installed.
 *
 * <pre>{@code
 * String dot = GraphExport.toDot(graph, Shape.of(1, 1, 28, 28));
 * String mermaid = GraphExport.toMermaid(graph, Shape.of(1, 1, 28, 28));
 * GraphExport.Saved s = GraphExport.save(graph, input, Path.of("net.dot"), true);
 * System.out.println(s.message());    // where the SVG is, or how to render the .dot
 * }</pre>
 *
 * <p>Every node is drawn with its name, its layer type (a Sequential with its children's types),
 * its merge mode when it merges several inputs, and its output shape when an input shape is given. Nodes get generated identifiers
 * ({@code n0}, {@code n1}, ... in execution order), so any name is safe; names appear only inside
 * escaped labels. The output is deterministic: a graph-input node {@code in} first (when a shape is
 * given), then the nodes in execution (topological) order, then the edges grouped by target in
 * execution order and, for each target, in edge declaration order, which is the merge input order;
 * the edges into a merging node are labelled with their input index.
 */
public final class GraphExport {
  /** How long {@link #renderSvg} waits for Graphviz by default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private GraphExport() {}

  /** One drawn node: its id, label lines and whether it merges several inputs. */
  private record Node(String id, LayerNode node, List<String> lines, boolean merges) {}

  /** One drawn edge; {@code index} is the merge input index, or -1. */
  private record Edge(String from, String to, int index) {}

  /** The drawable form of a graph, shared by both formats. */
  private record Drawing(String inputLabel, List<Node> nodes, List<Edge> edges) {}

  private static Drawing draw(LayerGraph g, Shape input) {
    List<LayerNode> order = g.order();
    List<GraphSummary.Row> rows = input == null ? null : GraphSummary.of(g, input).nodeRows();
    Map<LayerNode, String> ids = new IdentityHashMap<>();
    List<Node> nodes = new ArrayList<>();
    for (int k = 0; k < order.size(); k++) {
      LayerNode v = order.get(k);
      String id = "n" + k;
      ids.put(v, id);
      boolean several = v != g.root() && g.predecessors(v).size() > 1;
      // A layer of several ordered inputs takes them unmerged: its edges carry the input index.
      boolean merges = several && !(v.layer() instanceof MultiInputLayer);
      List<String> lines = new ArrayList<>();
      lines.add(v.name());
      lines.add(type(v.layer()) + (merges ? " (merge: " + v.mode() + ")" : several ? " (inputs in edge order)" : ""));
      if (rows != null) {
        lines.add(rows.get(k).output().toString());
      }
      nodes.add(new Node(id, v, lines, merges));
    }
    List<Edge> edges = new ArrayList<>();
    if (input != null) {
      edges.add(new Edge("in", ids.get(g.root()), -1));
    }
    for (LayerNode v : order) {
      if (v == g.root()) {
        continue;
      }
      List<LayerNode> preds = g.predecessors(v);
      for (int i = 0; i < preds.size(); i++) {
        edges.add(new Edge(ids.get(preds.get(i)), ids.get(v), preds.size() > 1 ? i : -1));
      }
    }
    return new Drawing(input == null ? null : "input " + input, nodes, edges);
  }

  /** The type name; a Sequential lists its children's types: {@code Sequential(Conv2D, ReLU)}. */
  private static String type(Layer l) {
    if (l instanceof Sequential seq) {
      List<String> types = new ArrayList<>();
      for (Layer c : seq.layers()) {
        types.add(c.typeName());
      }
      return l.typeName() + "(" + String.join(", ", types) + ")";
    }
    return l.typeName();
  }

  // ---------------------------------------------------------------- DOT

  /**
   * The graph as a Graphviz {@code digraph}, top to bottom; with {@code input} (may be null) the
   * labels carry output shapes and an extra node shows the graph input.
   *
   * @throws IllegalStateException if the graph is not built
   * @throws IllegalArgumentException if shape inference fails for {@code input}
   */
  public static String toDot(LayerGraph g, Shape input) {
    Drawing d = draw(g, input);
    StringBuilder sb = new StringBuilder();
    sb.append("digraph \"LayerGraph\" {\n");
    sb.append("  rankdir=TB;\n");
    sb.append("  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=11];\n");
    sb.append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    if (d.inputLabel() != null) {
      sb.append("  in [label=").append(dotString(d.inputLabel())).append(", shape=plaintext];\n");
    }
    for (Node n : d.nodes()) {
      sb.append("  ").append(n.id()).append(" [label=").append(dotString(String.join("\n", n.lines())));
      if (n.merges()) {
        sb.append(", style=\"rounded,bold\"");
      }
      sb.append("];\n");
    }
    for (Edge e : d.edges()) {
      sb.append("  ").append(e.from()).append(" -> ").append(e.to());
      if (e.index() >= 0) {
        sb.append(" [label=\"").append(e.index()).append("\"]");
      }
      sb.append(";\n");
    }
    return sb.append("}\n").toString();
  }

  /**
   * {@code s} as a DOT quoted string: backslashes and double quotes escaped, line breaks as DOT's
   * centred {@code \n}, other control characters dropped.
   */
  public static String dotString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c >= ' ' && c != 0x7f) {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  // ---------------------------------------------------------------- Mermaid

  /**
   * The graph as a Mermaid {@code flowchart TD}; merging nodes are drawn as hexagons. With
   * {@code input} (may be null) the labels carry output shapes and an extra node shows the input.
   *
   * @throws IllegalStateException if the graph is not built
   * @throws IllegalArgumentException if shape inference fails for {@code input}
   */
  public static String toMermaid(LayerGraph g, Shape input) {
    Drawing d = draw(g, input);
    StringBuilder sb = new StringBuilder("flowchart TD\n");
    if (d.inputLabel() != null) {
      sb.append("  in([").append(mermaidString(d.inputLabel())).append("])\n");
    }
    for (Node n : d.nodes()) {
      String label = mermaidString(String.join("\n", n.lines()));
      sb.append("  ").append(n.id()).append(n.merges() ? "{{" + label + "}}" : "[" + label + "]").append('\n');
    }
    for (Edge e : d.edges()) {
      sb.append("  ").append(e.from()).append(" -->");
      if (e.index() >= 0) {
        sb.append("|\"").append(e.index()).append("\"|");
      }
      sb.append(' ').append(e.to()).append('\n');
    }
    return sb.toString();
  }

  /**
   * {@code s} as a Mermaid quoted label: the characters that would end the label or be read as
   * an entity, HTML or Markdown ({@code " # < > & `}) become decimal entity codes like
   * {@code #34;}, line breaks become {@code <br/>}, other control characters are dropped.
   * Brackets, braces and pipes need no escape inside the quotes.
   */
  public static String mermaidString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"', '#', '<', '>', '&', '`' -> sb.append('#').append((int) c).append(';');
        case '\n' -> sb.append("<br/>");
        default -> {
          if (c >= ' ' && c != 0x7f) {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  // ---------------------------------------------------------------- files and rendering

  /**
   * What {@link #save} wrote.
   *
   * @param dot the .dot file
   * @param svg the rendered SVG, or null when none was rendered
   * @param message where the picture is, or how to render the .dot file
   */
  public record Saved(Path dot, Path svg, String message) {}

  /**
   * Writes {@link #toDot} to {@code dotFile}; with {@code renderSvg}, also renders it with
   * Graphviz's {@code dot} to the same path with the extension {@code .svg} when {@code dot} is on
   * the PATH (otherwise {@link Saved#message()} says how to render it).
   *
   * @throws IOException if writing fails, or Graphviz runs but fails or times out
   */
  public static Saved save(LayerGraph g, Shape input, Path dotFile, boolean renderSvg) throws IOException {
    return save(g, input, dotFile, renderSvg, "dot", DEFAULT_TIMEOUT);
  }

  /**
   * {@link #save(LayerGraph, Shape, Path, boolean)} with the Graphviz executable and the timeout
   * given.
   */
  public static Saved save(LayerGraph g, Shape input, Path dotFile, boolean renderSvg, String dotExecutable,
      Duration timeout) throws IOException {
    Path parent = dotFile.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(dotFile, toDot(g, input), StandardCharsets.UTF_8);
    Path svg = svgPath(dotFile);
    String hint = "render it with: " + dotExecutable + " -Tsvg " + quote(dotFile) + " -o " + quote(svg);
    if (!renderSvg) {
      return new Saved(dotFile, null, "wrote " + dotFile + "; " + hint);
    }
    if (!isAvailable(dotExecutable)) {
      return new Saved(dotFile, null, "wrote " + dotFile + "; Graphviz '" + dotExecutable
          + "' is not on the PATH (install graphviz), then " + hint);
    }
    renderSvg(dotFile, svg, dotExecutable, timeout);
    return new Saved(dotFile, svg, "wrote " + dotFile + " and " + svg);
  }

  /** True when {@code dotExecutable -V} runs and exits with 0 within a few seconds. */
  public static boolean isAvailable(String dotExecutable) {
    try {
      Process p = new ProcessBuilder(dotExecutable, "-V").redirectErrorStream(true).start();
      p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Runs {@code dotExecutable -Tsvg -o svgFile dotFile}, waiting at most {@code timeout}.
   *
   * @throws IOException naming the command when it cannot start, exits with an error (with its
   *     error output) or times out (the process is killed)
   */
  public static void renderSvg(Path dotFile, Path svgFile, String dotExecutable, Duration timeout) throws IOException {
    List<String> cmd = List.of(dotExecutable, "-Tsvg", "-o", svgFile.toString(), dotFile.toString());
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("GraphExport: cannot run " + String.join(" ", cmd) + " (is Graphviz installed?): "
          + e.getMessage(), e);
    }
    // Collect the output on another thread so a chatty process cannot block on a full pipe.
    StringBuilder out = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (InputStream in = p.getInputStream()) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        synchronized (out) {
          out.append(text);
        }
      } catch (IOException ignored) {
        // the exit code tells the failure
      }
    }, "graphviz-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("GraphExport: " + String.join(" ", cmd) + " did not finish within " + timeout
            + " (killed)");
      }
      reader.join(1000);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("GraphExport: interrupted while waiting for " + String.join(" ", cmd), e);
    }
    if (p.exitValue() != 0) {
      String text;
      synchronized (out) {
        text = out.toString().strip();
      }
      throw new IOException("GraphExport: " + String.join(" ", cmd) + " exited with " + p.exitValue()
          + (text.isEmpty() ? "" : ": " + text));
    }
  }

  private static Path svgPath(Path dotFile) {
    String name = dotFile.getFileName().toString();
    String base = name.endsWith(".dot") || name.endsWith(".gv") ? name.substring(0, name.lastIndexOf('.')) : name;
    return dotFile.resolveSibling(base + ".svg");
  }

  private static String quote(Path p) {
    return "'" + p.toString().replace("'", "'\\''") + "'";
  }
}
