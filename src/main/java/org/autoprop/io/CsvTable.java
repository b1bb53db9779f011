package org.autoprop.io;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.Dataset;

/**
 * A tabular classification data set from a CSV file: a header row of column names, then one row
 * per sample of numeric feature cells and one label cell, in the column named when reading.
 *
 * <p>Format: UTF-8 (a byte-order mark is skipped), comma-separated, {@code \n} or {@code \r\n}
 * line ends, fields optionally in double quotes ({@code ""} inside quotes is one quote), blank
 * lines ignored. Every row must have the header's number of cells. Feature cells are decimal
 * numbers ({@code -1.5}, {@code 2e-3}; spaces around them are ignored); an empty cell, or
 * {@code NA}, {@code N/A}, {@code NaN}, {@code null} (any case), is a missing value, and any
 * missing or non-numeric or infinite value is an error naming the line and the column: nothing
 * is imputed.
 *
 * <p>Labels: if every label cell is a non-negative integer, the integers are the class ids;
 * otherwise the labels are class names, mapped to ids in sorted order (Java's
 * {@link String#compareTo}, as Python's {@code sorted} on ASCII names), and {@link #classes()}
 * lists them. A test set is read with the training set's class list, so both use the same ids.
 *
 * <p>Features become a {@code [n, features]} float tensor, columns in file order without the
 * label; {@link #standardizer()} computes each column's mean and standard deviation on this
 * (training) table, and {@link Standardizer#apply} scales this or another table (a test set)
 * with them.
 */
public final class CsvTable {
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern INTEGER = Pattern.compile("\\+?\\d{1,18}");

  private final Path file;
  private final List<String> features;
  private final float[] values;
  private final int[] labels;
  private final List<String> classes;

  private CsvTable(Path file, List<String> features, float[] values, int[] labels, List<String> classes) {
    this.file = file;
    this.features = features;
    this.values = values;
    this.labels = labels;
    this.classes = classes;
  }

  /**
   * Reads a table whose labels are integer class ids or class names (mapped to ids in sorted
   * order).
   *
   * @param labelColumn the name of the label column in the header
   * @throws IOException with a message naming the file, and the line and column at fault
   */
  public static CsvTable read(Path file, String labelColumn) throws IOException {
    return read(file, labelColumn, null);
  }

  /**
   * Reads a table whose labels are names from {@code classes} (class {@code i} is
   * {@code classes.get(i)}), e.g. a test set with the training set's {@link #classes()}.
   *
   * @throws IOException naming the line of a label not in {@code classes}, or as
   *     {@link #read(Path, String)}
   */
  public static CsvTable read(Path file, String labelColumn, List<String> classes) throws IOException {
    Objects.requireNonNull(labelColumn, "labelColumn");
    byte[] bytes = FileChecks.readAllBytes(file);
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException(file + ": not valid UTF-8 text", e);
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    List<String[]> rows = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    parse(file, text, rows, lines);
    if (rows.isEmpty()) {
      throw new IOException(file + ": empty file (expected: a header row of column names)");
    }
    String[] header = rows.get(0);
    int label = -1;
    for (int c = 0; c < header.length; c++) {
      header[c] = header[c].strip();
      if (header[c].equals(labelColumn)) {
        if (label >= 0) {
          throw new IOException(file + ": the label column '" + labelColumn + "' appears twice in the header");
        }
        label = c;
      }
    }
    if (label < 0) {
      throw new IOException(file + ": no column '" + labelColumn + "' in the header " + Arrays.toString(header));
    }
    int width = header.length;
    int n = rows.size() - 1;
    int f = width - 1;
    List<String> names = new ArrayList<>();
    for (int c = 0; c < width; c++) {
      if (c != label) {
        names.add(header[c]);
      }
    }
    float[] values = new float[Math.multiplyExact(n, f)];
    String[] labelText = new String[n];
    for (int i = 0; i < n; i++) {
      String[] row = rows.get(i + 1);
      int line = lines.get(i + 1);
      if (row.length != width) {
        throw new IOException(file + ": line " + line + " has " + row.length + " cells (expected: " + width
            + ", as the header)");
      }
      for (int c = 0, k = 0; c < width; c++) {
        if (c == label) {
          labelText[i] = row[c].strip();
          if (labelText[i].isEmpty()) {
            throw new IOException(file + ": line " + line + ", column '" + header[c] + "': missing label");
          }
          continue;
        }
        values[i * f + k++] = number(file, line, header[c], row[c]);
      }
    }
    int[] ids = new int[n];
    List<String> classList = classes == null ? null : List.copyOf(classes);
    if (classList == null && allIntegers(labelText)) {
      for (int i = 0; i < n; i++) {
        long v = Long.parseLong(labelText[i].startsWith("+") ? labelText[i].substring(1) : labelText[i]);
        if (v > Integer.MAX_VALUE) {
          throw new IOException(file + ": line " + lines.get(i + 1) + ", column '" + labelColumn + "': label " + v
              + " (expected: 0 <= label <= " + Integer.MAX_VALUE + ")");
        }
        ids[i] = (int) v;
      }
    } else {
      if (classList == null) {
        classList = List.copyOf(new TreeSet<>(Arrays.asList(labelText)));
      }
      Map<String, Integer> index = new HashMap<>();
      for (int k = 0; k < classList.size(); k++) {
        index.put(classList.get(k), k);
      }
      for (int i = 0; i < n; i++) {
        Integer id = index.get(labelText[i]);
        if (id == null) {
          throw new IOException(file + ": line " + lines.get(i + 1) + ", column '" + labelColumn + "': class '"
              + labelText[i] + "' is not one of " + classList);
        }
        ids[i] = id;
      }
    }
    return new CsvTable(file, Collections.unmodifiableList(names), values, ids, classList);
  }

  private static boolean allIntegers(String[] labels) {
    for (String s : labels) {
      if (!INTEGER.matcher(s).matches()) {
        return false;
      }
    }
    return true;
  }

  private static float number(Path file, int line, String column, String cell) throws IOException {
    String s = cell.strip();
    String lower = s.toLowerCase(Locale.ROOT);
    if (s.isEmpty() || lower.equals("na") || lower.equals("n/a") || lower.equals("nan") || lower.equals("null")) {
      throw new IOException(file + ": line " + line + ", column '" + column + "': missing value"
          + (s.isEmpty() ? " (empty cell)" : " ('" + s + "')"));
    }
    if (!NUMBER.matcher(s).matches()) {
      throw new IOException(file + ": line " + line + ", column '" + column + "': '" + clip(s)
          + "' is not a number");
    }
    double v = Double.parseDouble(s);
    if (Double.isInfinite(v) || Float.isInfinite((float) v)) {
      throw new IOException(file + ": line " + line + ", column '" + column + "': " + s
          + " is beyond float32's range");
    }
    return (float) v;
  }

  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** Splits the text into rows of cells, recording each row's first line number (1-based). */
  private static void parse(Path file, String text, List<String[]> rows, List<Integer> lines) throws IOException {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    int line = 1;
    int rowLine = 1;
    boolean quoted = false;
    boolean any = false; // the row has content (a blank line is not a row)
    int i = 0;
    int len = text.length();
    while (i <= len) {
      char ch = i < len ? text.charAt(i) : '\n';
      if (quoted) {
        if (i == len) {
          throw new IOException(file + ": line " + rowLine + ": a quoted field is not closed");
        }
        if (ch == '"') {
          if (i + 1 < len && text.charAt(i + 1) == '"') {
            cell.append('"');
            i += 2;
            continue;
          }
          quoted = false;
        } else {
          if (ch == '\n') {
            line++;
          }
          cell.append(ch);
        }
        i++;
        continue;
      }
      if (ch == '"' && cell.toString().isBlank()) {
        quoted = true;
        any = true;
        cell.setLength(0);
      } else if (ch == ',') {
        cells.add(cell.toString());
        cell.setLength(0);
        any = true;
      } else if (ch == '\n' || ch == '\r') {
        if (any || cell.length() > 0) {
          cells.add(cell.toString());
          rows.add(cells.toArray(new String[0]));
          lines.add(rowLine);
        }
        cells.clear();
        cell.setLength(0);
        any = false;
        if (ch == '\r' && i + 1 < len && text.charAt(i + 1) == '\n') {
          i++;
        }
        line++;
        rowLine = line;
      } else {
        cell.append(ch);
      }
      i++;
    }
  }

  /** The file read. */
  public Path file() {
    return file;
  }

  /** The feature column names, in file order. */
  public List<String> features() {
    return features;
  }

  /** The number of rows (samples). */
  public int size() {
    return labels.length;
  }

  /** The class names by id if the labels were names, or null if they were integer ids. */
  public List<String> classes() {
    return classes;
  }

  /** The class ids (a copy). */
  public int[] labels() {
    return labels.clone();
  }

  /** The features {@code [n, features]} as read, with the labels. */
  public Dataset dataset() {
    return new Dataset(Tensor.wrap(values.clone(), Shape.of(size(), features.size())), labels.clone());
  }

  /**
   * Each feature column's mean and standard deviation over this table, in double: the population
   * standard deviation ({@code ddof = 0}, as scikit-learn's {@code StandardScaler}), and 1 for a
   * constant column (so it becomes 0, not NaN).
   *
   * @throws IllegalStateException if the table has no row
   */
  public Standardizer standardizer() {
    int n = size();
    int f = features.size();
    if (n == 0) {
      throw new IllegalStateException(file + ": no rows to compute feature means from");
    }
    double[] mean = new double[f];
    double[] std = new double[f];
    for (int c = 0; c < f; c++) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += values[i * f + c];
      }
      double m = sum / n;
      double sq = 0;
      for (int i = 0; i < n; i++) {
        double d = values[i * f + c] - m;
        sq += d * d;
      }
      double s = Math.sqrt(sq / n);
      mean[c] = m;
      std[c] = s > 0 ? s : 1;
    }
    return new Standardizer(features, mean, std);
  }

  /**
   * Per-column means and standard deviations (from a training table) applied as
   * {@code (x - mean) / std}, computed in double and rounded to float.
   *
   * @param features the column names, in order
   * @param mean each column's mean
   * @param std each column's standard deviation, positive
   */
  public record Standardizer(List<String> features, double[] mean, double[] std) {
    /** Checks that the three have the same length and every std is finite and positive. */
    public Standardizer {
      features = List.copyOf(features);
      mean = mean.clone();
      std = std.clone();
      if (mean.length != features.size() || std.length != features.size()) {
        throw new IllegalArgumentException("Standardizer: " + features.size() + " features, " + mean.length
            + " means, " + std.length + " stds (expected: the same number)");
      }
      for (int c = 0; c < std.length; c++) {
        if (!(std[c] > 0) || !Double.isFinite(std[c]) || !Double.isFinite(mean[c])) {
          throw new IllegalArgumentException("Standardizer: column '" + features.get(c) + "' has mean " + mean[c]
              + ", std " + std[c] + " (expected: finite, std > 0)");
        }
      }
    }

    /** The means (a copy). */
    @Override
    public double[] mean() {
      return mean.clone();
    }

    /** The standard deviations (a copy). */
    @Override
    public double[] std() {
      return std.clone();
    }

    /**
     * The table's features standardised, with its labels.
     *
     * @throws IllegalArgumentException naming both column lists if the table's feature columns
     *     are not these, in this order
     */
    public Dataset apply(CsvTable table) {
      if (!table.features.equals(features)) {
        throw new IllegalArgumentException("Standardizer: " + table.file + " has feature columns " + table.features
            + " (expected: " + features + ", those of the training table)");
      }
      int f = features.size();
      float[] out = new float[table.values.length];
      for (int i = 0; i < out.length; i++) {
        int c = i % f;
        out[i] = (float) ((table.values[i] - mean[c]) / std[c]);
      }
      return new Dataset(Tensor.wrap(out, Shape.of(table.size(), f)), table.labels.clone());
    }
  }
}
