package org.autoprop.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.Identity;
import org.autoprop.layer.ReLU;
import org.autoprop.models.SeedGraphs;
import org.autoprop.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** DOT and Mermaid export: parse-level checks, escaping, and Graphviz rendering when installed. */
class GraphExportTest {
  private static final Shape X = Shape.of(2, 3, 8, 8);
  private static final boolean DOT = GraphExport.isAvailable("dot");

  static Stream<Arguments> seeds() {
    return Stream.of(Arguments.of("shortcut", SeedGraphs.shortcut(1), "SUM"),
        Arguments.of("chcat", SeedGraphs.chcat(1), "CHCAT"));
  }

  /** Checks quotes (with backslash escapes) and braces/brackets balance outside strings. */
  private static void assertBalancedDot(String dot) {
    int depth = 0;
    int brackets = 0;
    boolean inString = false;
    for (int i = 0; i < dot.length(); i++) {
      char c = dot.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
        assertFalse(c == '\n', "line break inside a DOT string");
      } else if (c == '"') {
        inString = true;
      } else if (c == '{') {
        depth++;
      } else if (c == '}') {
        depth--;
        assertTrue(depth >= 0, dot);
      } else if (c == '[') {
        brackets++;
      } else if (c == ']') {
        brackets--;
      }
    }
    assertFalse(inString, dot);
    assertEquals(0, depth, dot);
    assertEquals(0, brackets, dot);
  }

  /** The node id of the node whose label's first line is {@code name}, from DOT text. */
  private static Map<String, String> dotIdsByName(String dot) {
    Map<String, String> ids = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(?m)^  (n\\d+) \\[label=\"((?:[^\"\\\\]|\\\\.)*?)\\\\n").matcher(dot);
    while (m.find()) {
      ids.put(m.group(2), m.group(1));
    }
    return ids;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void dotHasEveryNodeEdgeAndMergeMode(String which, LayerGraph g, String mode) {
    String dot = GraphExport.toDot(g, X);
    assertTrue(dot.startsWith("digraph \"LayerGraph\" {\n"), dot);
    assertTrue(dot.endsWith("}\n"), dot);
    assertBalancedDot(dot);
    Map<String, String> ids = dotIdsByName(dot);
    assertEquals(g.order().stream().map(LayerNode::name).toList(), List.copyOf(ids.keySet()), dot);
    // every edge, grouped by target in execution order, merge inputs labelled by index
    List<String> edges = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^  (n\\d+) -> (n\\d+)( \\[label=\"(\\d+)\"\\])?;$").matcher(dot);
    while (m.find()) {
      edges.add(m.group(1) + (m.group(4) == null ? "" : "#" + m.group(4)) + ">" + m.group(2));
    }
    List<String> expected = new ArrayList<>();
    for (LayerNode v : g.order()) {
      List<LayerNode> p = v == g.root() ? List.of() : g.predecessors(v);
      for (int i = 0; i < p.size(); i++) {
        expected.add(ids.get(p.get(i).name()) + (p.size() > 1 ? "#" + i : "") + ">" + ids.get(v.name()));
      }
    }
    assertEquals(expected, edges, dot);
    assertTrue(dot.contains("  in [label=\"input [2, 3, 8, 8]\", shape=plaintext];\n"), dot);
    assertTrue(dot.contains("  in -> n0;\n"), dot);
    assertTrue(dot.contains("\\nIdentity (merge: " + mode + ")\\n"), dot);
    String termShape = mode.equals("CHCAT") ? "[2, 36, 8, 8]" : "[2, 6, 8, 8]";
    assertTrue(dot.contains("  " + ids.get("term") + " [label=\"term\\nIdentity (merge: " + mode + ")\\n" + termShape
        + "\", style=\"rounded,bold\"];\n"), dot);
    assertEquals(dot, GraphExport.toDot(g, X), "deterministic");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void mermaidHasEveryNodeEdgeAndMergeMode(String which, LayerGraph g, String mode) {
    String mm = GraphExport.toMermaid(g, X);
    List<String> lines = mm.lines().toList();
    assertEquals("flowchart TD", lines.get(0));
    assertEquals("  in([\"input [2, 3, 8, 8]\"])", lines.get(1));
    Map<String, String> ids = new LinkedHashMap<>();
    Pattern node = Pattern.compile("^  (n\\d+)(\\[\"|\\{\\{\")([^\"]*)(\"\\]|\"\\}\\})$");
    Pattern edge = Pattern.compile("^  (n\\d+|in) -->(\\|\"(\\d+)\"\\|)? (n\\d+)$");
    List<String> edges = new ArrayList<>();
    for (String line : lines.subList(2, lines.size())) {
      Matcher n = node.matcher(line);
      Matcher e = edge.matcher(line);
      if (n.matches()) {
        ids.put(n.group(3).split("<br/>")[0], n.group(1));
        assertEquals(n.group(2).equals("{{\"") ? "\"}}" : "\"]", n.group(4), line);
      } else {
        assertTrue(e.matches(), "neither a node nor an edge: " + line);
        edges.add(e.group(1) + (e.group(3) == null ? "" : "#" + e.group(3)) + ">" + e.group(4));
      }
    }
    assertEquals(g.order().stream().map(LayerNode::name).toList(), List.copyOf(ids.keySet()), mm);
    List<String> expected = new ArrayList<>(List.of("in>n0"));
    for (LayerNode v : g.order()) {
      List<LayerNode> p = v == g.root() ? List.of() : g.predecessors(v);
      for (int i = 0; i < p.size(); i++) {
        expected.add(ids.get(p.get(i).name()) + (p.size() > 1 ? "#" + i : "") + ">" + ids.get(v.name()));
      }
    }
    assertEquals(expected, edges, mm);
    String term = ids.get(g.term().name());
    assertTrue(mm.contains("  " + term + "{{\"term<br/>Identity (merge: " + mode + ")<br/>"), mm);
  }

  @Test
  void withoutInputShapeNoShapesAndNoInputNode() {
    String dot = GraphExport.toDot(SeedGraphs.shortcut(1), null);
    assertFalse(dot.contains("in ["), dot);
    assertFalse(dot.contains("[2, "), dot);
    assertTrue(dot.contains("  n0 [label=\"conv\\nConv2D\"];"), dot);
    assertFalse(GraphExport.toMermaid(SeedGraphs.shortcut(1), null).contains("in(["));
    assertTrue(GraphExport.toDot(SeedGraphs.chcat(1), null).contains("  n1 [label=\"branch_1\\nSequential(Conv2D, ReLU)\"];"));
  }

  private static LayerGraph oddNames() {
    LayerNode a = new LayerNode(new Identity(), "say \"hi\" \\ #1 <b>&`x`");
    LayerNode b = new LayerNode(new ReLU(), "line\nbreak {x} [y] |z|;");
    LayerNode c = new LayerNode(new Identity(), MergeMode.MAX, "end");
    return LayerGraph.builder().edges(a, b, c).edge(a, c).root(a).term(c).build();
  }

  @Test
  void escapesOddNames() {
    assertEquals("\"a\\\"b\\\\c\\nd\"", GraphExport.dotString("a\"b\\c\nd"));
    assertEquals("\"tab\"", GraphExport.dotString("t\tab"));
    assertEquals("\"#34;#35;#60;#62;#38;#96;<br/>[x]\"", GraphExport.mermaidString("\"#<>&`\n[x]"));
    LayerGraph g = oddNames();
    String dot = GraphExport.toDot(g, Shape.of(1, 2));
    assertBalancedDot(dot);
    assertTrue(dot.contains("  n0 [label=\"say \\\"hi\\\" \\\\ #1 <b>&`x`\\nIdentity\\n[1, 2]\"];"), dot);
    assertTrue(dot.contains("  n1 [label=\"line\\nbreak {x} [y] |z|;\\nReLU\\n[1, 2]\"];"), dot);
    String mm = GraphExport.toMermaid(g, Shape.of(1, 2));
    assertTrue(mm.contains("  n0[\"say #34;hi#34; \\ #35;1 #60;b#62;#38;#96;x#96;<br/>Identity<br/>[1, 2]\"]"), mm);
    assertTrue(mm.contains("  n1[\"line<br/>break {x} [y] |z|;<br/>ReLU<br/>[1, 2]\"]"), mm);
    assertTrue(mm.contains("  n2{{\"end<br/>Identity (merge: MAX)<br/>[1, 2]\"}}"), mm);
    for (String line : mm.lines().toList()) {
      assertEquals(0, line.chars().filter(ch -> ch == '"').count() % 2, line);
    }
  }

  @Test
  void saveWithoutRenderingWritesDotAndHint(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("net.dot");
    GraphExport.Saved s = GraphExport.save(SeedGraphs.chcat(1), X, file, false);
    assertEquals(GraphExport.toDot(SeedGraphs.chcat(1), X), Files.readString(file));
    assertNull(s.svg());
    assertEquals("wrote " + file + "; render it with: dot -Tsvg '" + file + "' -o '" + dir.resolve("net.svg") + "'",
        s.message());
  }

  @Test
  void saveWithMissingGraphvizWritesDotAndSaysHow(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("net.gv");
    GraphExport.Saved s = GraphExport.save(SeedGraphs.shortcut(1), X, file, true, "no-such-graphviz-dot-xyz",
        Duration.ofSeconds(5));
    assertTrue(Files.exists(file));
    assertNull(s.svg());
    assertFalse(Files.exists(dir.resolve("net.svg")));
    assertTrue(s.message().contains("Graphviz 'no-such-graphviz-dot-xyz' is not on the PATH (install graphviz)"),
        s.message());
    assertTrue(s.message().endsWith("-Tsvg '" + file + "' -o '" + dir.resolve("net.svg") + "'"), s.message());
    IOException e = assertThrows(IOException.class, () -> GraphExport.renderSvg(file, dir.resolve("x.svg"),
        "no-such-graphviz-dot-xyz", Duration.ofSeconds(5)));
    assertTrue(e.getMessage().startsWith("GraphExport: cannot run no-such-graphviz-dot-xyz -Tsvg -o "), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void rendersWithGraphviz(String which, LayerGraph g, String mode, @TempDir Path dir) throws IOException {
    assumeTrue(DOT, "Graphviz 'dot' is not on the PATH");
    GraphExport.Saved s = GraphExport.save(g, X, dir.resolve(which + ".dot"), true);
    assertEquals(dir.resolve(which + ".svg"), s.svg());
    String svg = Files.readString(s.svg());
    assertTrue(svg.contains("<svg"), svg);
    for (LayerNode v : g.order()) {
      assertTrue(svg.contains(">" + v.name() + "<"), v.name());
    }
    assertTrue(svg.contains("Identity (merge: " + mode + ")"), svg);
  }

  @Test
  void rendersOddNamesAndReportsGraphvizErrors(@TempDir Path dir) throws IOException {
    assumeTrue(DOT, "Graphviz 'dot' is not on the PATH");
    GraphExport.Saved s = GraphExport.save(oddNames(), Shape.of(1, 2), dir.resolve("odd.dot"), true);
    String svg = Files.readString(s.svg());
    assertTrue(svg.contains("say &quot;hi&quot; \\ #1 &lt;b&gt;&amp;`x`"), svg);
    Path broken = dir.resolve("broken.dot");
    Files.writeString(broken, "digraph { a -> }\n");
    IOException e = assertThrows(IOException.class,
        () -> GraphExport.renderSvg(broken, dir.resolve("broken.svg"), "dot", Duration.ofSeconds(20)));
    assertTrue(e.getMessage().matches("(?s)GraphExport: dot -Tsvg -o \\S+broken\\.svg \\S+broken\\.dot exited with 1: .*syntax error.*"),
        e.getMessage());
  }
}
