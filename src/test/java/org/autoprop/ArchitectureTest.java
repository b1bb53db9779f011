package org.autoprop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package layering of docs/DESIGN.md and docs/DESIGN-CHANGES.md, read from the main sources:
 * a package uses only the packages before it in {@link #ORDER} (a subpackage such as
 * {@code kernel.vector} counts as its top package), and no two packages use each other, directly
 * or around a cycle. A use is an {@code import} (static too) or a fully qualified name in code;
 * comments and string literals do not count (the vector kernels are loaded by name, on purpose).
 * A failure names the file and line, the use and the rule.
 */
class ArchitectureTest {
  /** The top packages under {@code org.autoprop}, in order: each may use only those before it. */
  static final List<String> ORDER = List.of("kernel", "tensor", "layer", "graph", "models", "blocks", "zoo", "train", "io", "viz", "cli");

  private static final String ROOT = "org.autoprop";
  private static final Pattern PACKAGE = Pattern.compile("\\bpackage\\s+([\\w.]+)\\s*;");
  private static final Pattern IMPORT = Pattern.compile("\\bimport\\s+(?:static\\s+)?(org\\.autoprop(?:\\.\\w+)+)(?:\\.\\*)?\\s*;");
  // A qualified name in code: org.autoprop.<lower-case packages>.<Type>.
  private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])(org\\.autoprop(?:\\.[a-z_][\\w]*)+)\\.[A-Z]");

  /** One package's use of another: where it is and how it reads. */
  record Use(Path file, int line, String from, String to, String text) {
    String where() {
      return file + ":" + line + ": " + text;
    }
  }

  @Test
  void mainSourcesKeepTheLayering() {
    Path main = Path.of("src", "main", "java");
    assertTrue(Files.isDirectory(main.resolve("org/autoprop")), () -> "no main sources at " + main.toAbsolutePath());
    List<Use> uses = uses(main);
    assertTrue(uses.size() > 100, () -> "only " + uses.size() + " uses of org.autoprop packages found: is the scan broken?");
    assertEquals("", String.join("\n", violations(uses)));
  }

  @Test
  void reportsAnUpwardImportAQualifiedNameAndACycle(@TempDir Path dir) throws IOException {
    write(dir, "org/autoprop/layer/Bad.java", """
        package org.autoprop.layer;

        import org.autoprop.tensor.Tensor; // allowed: tensor comes first
        import org.autoprop.train.Optimizer;

        /** Not a use: {@link org.autoprop.cli.Main}. */
        class Bad {
          String s = "org.autoprop.viz.SvgChart"; // nor is this
          Object o = new org.autoprop.graph.LayerGraph(null, null, null);
        }
        """);
    write(dir, "org/autoprop/kernel/A.java", "package org.autoprop.kernel;\nimport static org.autoprop.kernel.vector.B.f;\nclass A {}\n");
    write(dir, "org/autoprop/kernel/vector/B.java", "package org.autoprop.kernel.vector;\nimport org.autoprop.kernel.*;\nclass B {}\n");
    write(dir, "org/autoprop/extra/C.java", "package org.autoprop.extra;\nclass C {}\n");
    List<String> v = violations(uses(dir));
    String layer = dir.resolve("org/autoprop/layer/Bad.java").toString();
    String a = dir.resolve("org/autoprop/kernel/A.java").toString();
    String b = dir.resolve("org/autoprop/kernel/vector/B.java").toString();
    assertEquals(List.of(
        dir.resolve("org/autoprop/extra/C.java") + ": package org.autoprop.extra is not in the order "
            + ORDER + ": add it to ArchitectureTest.ORDER and to docs/DESIGN-CHANGES.md",
        layer + ":4: import org.autoprop.train.Optimizer; -- layer must not use train, which comes after it in the "
            + "order " + ORDER + " (a package may use only the packages before it)",
        layer + ":9: org.autoprop.graph.LayerGraph -- layer must not use graph, which comes after it in the order "
            + ORDER + " (a package may use only the packages before it)",
        "package cycle: org.autoprop.kernel -> org.autoprop.kernel.vector -> org.autoprop.kernel ("
            + a + ":2: import static org.autoprop.kernel.vector.B.f;, " + b + ":2: import org.autoprop.kernel.*;)"),
        v);
  }

  private static void write(Path dir, String file, String text) throws IOException {
    Path p = dir.resolve(file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text, StandardCharsets.UTF_8);
  }

  /** Every use of an {@code org.autoprop} package by another, in file order. */
  static List<Use> uses(Path sources) {
    List<Path> files;
    try (Stream<Path> s = Files.walk(sources)) {
      files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Use> out = new ArrayList<>();
    for (Path f : files) {
      String code;
      try {
        code = codeOnly(Files.readString(f, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Matcher pkg = PACKAGE.matcher(code);
      if (!pkg.find()) {
        continue; // module-info.java
      }
      String from = pkg.group(1);
      out.add(new Use(f, 0, from, from, "")); // the file's own package, so that every package is checked
      Matcher m = IMPORT.matcher(code);
      while (m.find()) {
        out.add(new Use(f, line(code, m.start()), from, packageOf(m.group(1)), m.group().trim()));
      }
      m = QUALIFIED.matcher(code);
      while (m.find()) {
        if (!isDeclaration(code, m.start())) {
          String name = m.group(1) + "." + code.substring(m.end() - 1).split("[^\\w]", 2)[0];
          out.add(new Use(f, line(code, m.start()), from, m.group(1), name));
        }
      }
    }
    return out;
  }

  /** The rule each use breaks, if any: unknown packages, uses of a later package, cycles. */
  static List<String> violations(List<Use> uses) {
    List<String> out = new ArrayList<>();
    Map<String, Path> packages = new TreeMap<>();
    for (Use u : uses) {
      packages.putIfAbsent(u.from(), u.file());
    }
    for (Map.Entry<String, Path> p : packages.entrySet()) {
      if (rank(p.getKey()) < 0) {
        out.add(p.getValue() + ": package " + p.getKey() + " is not in the order " + ORDER
            + ": add it to ArchitectureTest.ORDER and to docs/DESIGN-CHANGES.md");
      }
    }
    Map<String, Map<String, Use>> edges = new TreeMap<>();
    for (Use u : uses) {
      if (u.from().equals(u.to())) {
        continue;
      }
      int from = rank(u.from());
      int to = rank(u.to());
      if (from >= 0 && to > from) {
        out.add(u.where() + " -- " + top(u.from()) + " must not use " + top(u.to()) + ", which comes after it in the order "
            + ORDER + " (a package may use only the packages before it)");
      }
      edges.computeIfAbsent(u.from(), k -> new TreeMap<>()).putIfAbsent(u.to(), u);
    }
    out.addAll(cycles(edges));
    return out;
  }

  /** One message per package cycle found by a depth-first search, naming a use along each edge. */
  private static List<String> cycles(Map<String, Map<String, Use>> edges) {
    List<String> out = new ArrayList<>();
    Map<String, Integer> state = new LinkedHashMap<>(); // 1: on the path, 2: done
    for (String start : edges.keySet()) {
      if (!state.containsKey(start)) {
        dfs(start, edges, state, new ArrayList<>(), out);
      }
    }
    return out;
  }

  private static void dfs(String at, Map<String, Map<String, Use>> edges, Map<String, Integer> state,
      List<String> path, List<String> out) {
    state.put(at, 1);
    path.add(at);
    for (Map.Entry<String, Use> e : edges.getOrDefault(at, Map.of()).entrySet()) {
      String next = e.getKey();
      Integer s = state.get(next);
      if (s == null) {
        dfs(next, edges, state, path, out);
      } else if (s == 1) {
        List<String> cycle = new ArrayList<>(path.subList(path.indexOf(next), path.size()));
        cycle.add(next);
        List<String> where = new ArrayList<>();
        for (int i = 0; i + 1 < cycle.size(); i++) {
          where.add(edges.get(cycle.get(i)).get(cycle.get(i + 1)).where());
        }
        out.add("package cycle: " + String.join(" -> ", cycle) + " (" + String.join(", ", where) + ")");
      }
    }
    path.remove(path.size() - 1);
    state.put(at, 2);
  }

  /** The index in {@link #ORDER} of the top package of {@code pkg}, or -1. */
  private static int rank(String pkg) {
    return ORDER.indexOf(top(pkg));
  }

  /** {@code org.autoprop.kernel.vector} -> {@code kernel}; {@code org.autoprop} -> {@code ""}. */
  private static String top(String pkg) {
    if (!pkg.startsWith(ROOT + ".")) {
      return "";
    }
    String rest = pkg.substring(ROOT.length() + 1);
    int dot = rest.indexOf('.');
    return dot < 0 ? rest : rest.substring(0, dot);
  }

  /** The package of an imported name: the segments before the first that starts upper-case. */
  private static String packageOf(String name) {
    String[] parts = name.split("\\.");
    StringBuilder sb = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length && !Character.isUpperCase(parts[i].charAt(0)); i++) {
      sb.append('.').append(parts[i]);
    }
    return sb.toString();
  }

  private static int line(String code, int index) {
    int n = 1;
    for (int i = 0; i < index; i++) {
      if (code.charAt(i) == '\n') {
        n++;
      }
    }
    return n;
  }

  /** Whether the statement around {@code index} is an import or the package declaration (already counted). */
  private static boolean isDeclaration(String code, int index) {
    String statement = code.substring(code.lastIndexOf(';', index) + 1, index).stripLeading();
    return statement.startsWith("import ") || statement.startsWith("package ");
  }

  /**
   * The source with comments, string and character literals and text blocks blanked out (newlines
   * kept, so line numbers hold).
   */
  static String codeOnly(String src) {
    StringBuilder sb = new StringBuilder(src.length());
    int i = 0;
    int n = src.length();
    while (i < n) {
      char c = src.charAt(i);
      String end = null;
      int skip = 0;
      if (src.startsWith("//", i)) {
        end = "\n";
      } else if (src.startsWith("/*", i)) {
        end = "*/";
        skip = 2;
      } else if (src.startsWith("\"\"\"", i)) {
        end = "\"\"\"";
        skip = 3;
      } else if (c == '"' || c == '\'') {
        end = String.valueOf(c);
        skip = 1;
      }
      if (end == null) {
        sb.append(c);
        i++;
        continue;
      }
      int j = i + skip;
      while (j < n && !src.startsWith(end, j)) {
        j += src.charAt(j) == '\\' && end.length() == 1 && !end.equals("\n") ? 2 : 1;
      }
      j = end.equals("\n") ? j : Math.min(n, j + end.length());
      for (int k = i; k < j; k++) {
        sb.append(src.charAt(k) == '\n' ? '\n' : ' ');
      }
      i = j;
    }
    return sb.toString();
  }
}
