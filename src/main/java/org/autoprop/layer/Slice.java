package org.autoprop.layer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Selects part of its input as numpy's basic indexing does, into a contiguous output: Luma's
 * {@code Slice(slice_str)} with the same string, e.g. {@code new Slice(":, 0, :")} (the class
 * token of {@code [N, T, D]}, giving {@code [N, D]}) or {@code new Slice(":, 1:3, ::2")}, and a
 * Java form for one axis: {@link #of(int, int, int) Slice.of(axis, from, to)},
 * {@link #of(int, int, int, int) Slice.of(axis, from, to, step)} and
 * {@link #index(int, int) Slice.index(axis, i)}.
 *
 * <p>The string is a comma-separated list of parts, one per axis from the first (the batch axis),
 * optionally in brackets ({@code "[:, 1:3]"}); axes after the last part are taken whole. A part is
 * <ul>
 *   <li>an index {@code i}: that element, and the axis is dropped from the output;
 *   <li>a slice {@code start:stop} or {@code start:stop:step}, each number optional (numpy's
 *       defaults: the whole axis in the direction of the step; step 1): the elements
 *       {@code start, start + step, ...} before {@code stop}; the axis stays;
 *   <li>{@code ...} (at most once): as many whole axes as it takes for the parts after it to reach
 *       the last axis (numpy's ellipsis; Luma's parser has none).
 * </ul>
 * Negative indices count from the end as in numpy ({@code -1} is the last element); a negative
 * step walks backwards ({@code "::-1"} reverses an axis).
 *
 * <p>Stricter than numpy: numpy clips slice bounds to the axis and lets a slice select nothing;
 * here a bound outside the axis ({@code -n <= start, stop <= n} for an axis of extent {@code n},
 * and {@code <= n - 1} for a negative step), an index outside it ({@code -n <= i < n}) and a slice
 * that selects no element are errors naming the axis, its extent and the input shape, because a
 * layer whose output silently shrinks fails far from the cause. The batch axis must be taken
 * whole ({@code ':'}): a layer never mixes or drops samples.
 *
 * <p>The backward pass writes the upstream gradient into the selected elements of a zeroed input
 * gradient. Both directions copy runs of contiguous elements into buffers this layer reuses.
 */
public final class Slice extends AbstractLayer {
  /**
   * The open {@code to} of the Java form: the end of the axis for a positive step, past its first
   * element for a negative one ({@code Slice.of(1, -1, Slice.END, -1)} is {@code [:, -1::-1]}).
   */
  public static final int END = Integer.MAX_VALUE;

  private final List<Part> parts;
  private final String description;
  private StridedCopy plan;

  /**
   * The slice of Luma's (numpy's) string form, e.g. {@code ":, 0, :"} or {@code "[..., 1:3]"};
   * see the class comment.
   *
   * @param spec the parts, comma separated, optionally in brackets
   * @throws IllegalArgumentException naming the part that is not an index, a slice or
   *     {@code ...}, a step of 0, a second {@code ...} or an empty spec
   */
  public Slice(String spec) {
    this(parse(Objects.requireNonNull(spec, "spec")));
  }

  private Slice(List<Part> parts) {
    this.parts = List.copyOf(parts);
    StringBuilder sb = new StringBuilder("Slice[");
    for (int i = 0; i < parts.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(parts.get(i));
    }
    this.description = sb.append(']').toString();
  }

  /**
   * Elements {@code [from, to)} of {@code axis} ({@code x[:, from:to]} for axis 1); negative values
   * count from the end; {@code to} may be {@link #END}.
   *
   * @param axis the axis (negative counts from the end), not the batch axis
   * @param from the first element
   * @param to the element after the last, or {@link #END}
   * @return the layer
   */
  public static Slice of(int axis, int from, int to) {
    return of(axis, from, to, 1);
  }

  /**
   * Elements {@code from, from + step, ...} of {@code axis} before {@code to}
   * ({@code x[:, from:to:step]} for axis 1); negative values count from the end; {@code to} may be
   * {@link #END}.
   *
   * @param axis the axis (negative counts from the end), not the batch axis
   * @param from the first element
   * @param to the bound not reached, or {@link #END}
   * @param step the distance between selected elements, not 0 (negative walks backwards)
   * @return the layer
   * @throws IllegalArgumentException for a step of 0 or the batch axis
   */
  public static Slice of(int axis, int from, int to, int step) {
    if (step == 0) {
      throw new IllegalArgumentException("Slice: step 0 on axis " + axis + " (expected: a non-zero step)");
    }
    return onAxis(axis, Part.range(true, from, to != END, to, step));
  }

  /**
   * Element {@code i} of {@code axis}, which is dropped from the output ({@code x[:, i]} for axis
   * 1: {@code Slice.index(1, 0)} takes the class token of {@code [N, T, D]}).
   *
   * @param axis the axis (negative counts from the end), not the batch axis
   * @param i the element (negative counts from the end)
   * @return the layer
   */
  public static Slice index(int axis, int i) {
    return onAxis(axis, Part.index(i));
  }

  private static Slice onAxis(int axis, Part part) {
    if (axis == 0) {
      throw new IllegalArgumentException("Slice: axis 0 is the batch axis (expected: an axis >= 1 or < 0)");
    }
    List<Part> list = new ArrayList<>();
    if (axis > 0) {
      for (int i = 0; i < axis; i++) {
        list.add(Part.ALL);
      }
      list.add(part);
    } else {
      list.add(Part.ELLIPSIS);
      list.add(part);
      for (int i = axis + 1; i < 0; i++) {
        list.add(Part.ALL);
      }
    }
    return new Slice(list);
  }

  /** The canonical string form, e.g. {@code Slice[:, 1:3, ::2]}. */
  @Override
  public String toString() {
    return description;
  }

  @Override
  public Shape outputShape(Shape input) {
    Resolved r = resolve(input);
    List<Integer> dims = new ArrayList<>();
    for (int a = 0; a < input.rank(); a++) {
      if (r.keep[a]) {
        dims.add(r.count[a]);
      }
    }
    return Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
  }

  /** 0: data movement only (the shape is checked as by {@link #outputShape}). */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    Resolved r = resolve(input);
    int[] inStrides = input.contiguousStrides();
    int rank = input.rank();
    int base = 0;
    int[] strides = new int[rank];
    for (int a = 0; a < rank; a++) {
      base += r.start[a] * inStrides[a];
      strides[a] = r.step[a] * inStrides[a];
    }
    plan = new StridedCopy(base, r.count, strides);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    plan.gather(x.data(), x.offset(), y.data(), 0);
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    gx.fill(0f);
    plan.scatter(gy.data(), gy.offset(), gx.data(), 0);
  }

  /** Per input axis: the first element, how many, the step, and whether the axis stays. */
  private record Resolved(int[] start, int[] count, int[] step, boolean[] keep) {}

  private Resolved resolve(Shape input) {
    int rank = input.rank();
    int ellipsis = parts.indexOf(Part.ELLIPSIS);
    int named = ellipsis >= 0 ? parts.size() - 1 : parts.size();
    if (named > rank) {
      throw new IllegalArgumentException(description + ": input " + input + " has rank " + rank
          + " (expected: at least " + named + ", one axis per part)");
    }
    // The part of each input axis: before the ellipsis in order, after it aligned to the end.
    Part[] perAxis = new Part[rank];
    java.util.Arrays.fill(perAxis, Part.ALL);
    int before = ellipsis >= 0 ? ellipsis : parts.size();
    for (int i = 0; i < before; i++) {
      perAxis[i] = parts.get(i);
    }
    for (int i = before + 1; i < parts.size(); i++) {
      perAxis[rank - (parts.size() - i)] = parts.get(i);
    }
    int[] start = new int[rank];
    int[] count = new int[rank];
    int[] step = new int[rank];
    boolean[] keep = new boolean[rank];
    for (int a = 0; a < rank; a++) {
      Part p = perAxis[a];
      int n = input.dim(a);
      if (p.isIndex()) {
        if (p.start < -n || p.start >= n) {
          throw outOfRange(input, a, "index", p.start, -n + " <= index < " + n);
        }
        start[a] = p.start < 0 ? p.start + n : p.start;
        count[a] = 1;
        step[a] = 1;
        keep[a] = false;
      } else {
        int s = p.step;
        int first;
        int bound; // exclusive, after normalisation; -1 is "before element 0" for a negative step
        if (s > 0) {
          first = p.hasStart ? check(input, a, "start", p.start, n) : 0;
          bound = p.hasStop ? check(input, a, "stop", p.stop, n) : n;
        } else {
          first = p.hasStart ? check(input, a, "start", p.start, n - 1) : n - 1;
          bound = p.hasStop ? check(input, a, "stop", p.stop, n - 1) : -1;
        }
        int c = s > 0 ? (bound - first + s - 1) / s : (first - bound - s - 1) / -s;
        if (c <= 0) {
          throw new IllegalArgumentException(description + ": " + p + " selects no element of axis " + a
              + " of extent " + n + " in input " + input + " (expected: at least one)");
        }
        start[a] = first;
        count[a] = c;
        step[a] = s;
        keep[a] = true;
      }
      if (a == 0 && !(keep[0] && count[0] == n && step[0] == 1)) {
        throw new IllegalArgumentException(description + ": '" + p + "' selects part of axis 0 of input "
            + input + ", the batch axis (expected: all of it, ':')");
      }
    }
    return new Resolved(start, count, step, keep);
  }

  /** A slice bound checked against {@code -n <= v <= max} and normalised. */
  private int check(Shape input, int axis, String what, int v, int max) {
    int n = input.dim(axis);
    if (v < -n || v > max) {
      throw outOfRange(input, axis, what, v, -n + " <= " + what + " <= " + max);
    }
    return v < 0 ? v + n : v;
  }

  private IllegalArgumentException outOfRange(Shape input, int axis, String what, int v, String expected) {
    return new IllegalArgumentException(description + ": " + what + " " + v + " is out of range for axis " + axis
        + " of extent " + input.dim(axis) + " in input " + input + " (expected: " + expected + ")");
  }

  private static List<Part> parse(String spec) {
    String s = spec.strip();
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    String[] texts = s.split(",", -1);
    int n = texts.length;
    if (n > 1 && texts[n - 1].isBlank()) {
      n--; // numpy allows a trailing comma
    }
    List<Part> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String t = texts[i].strip();
      if (t.isEmpty()) {
        throw new IllegalArgumentException("Slice: empty part " + i + " in \"" + spec
            + "\" (expected: an index i, a slice start:stop[:step] or ...)");
      }
      Part p = parsePart(t, spec);
      if (p == Part.ELLIPSIS && list.contains(Part.ELLIPSIS)) {
        throw new IllegalArgumentException("Slice: a second '...' in \"" + spec + "\" (expected: at most one)");
      }
      list.add(p);
    }
    return list;
  }

  private static Part parsePart(String t, String spec) {
    if (t.equals("...")) {
      return Part.ELLIPSIS;
    }
    try {
      if (!t.contains(":")) {
        return Part.index(Integer.parseInt(t));
      }
      String[] f = t.split(":", -1);
      if (f.length > 3) {
        throw new NumberFormatException();
      }
      String a = f[0].strip();
      String b = f[1].strip();
      String c = f.length == 3 ? f[2].strip() : "";
      int step = c.isEmpty() ? 1 : Integer.parseInt(c);
      if (step == 0) {
        throw new IllegalArgumentException("Slice: step 0 in '" + t + "' of \"" + spec + "\" (expected: a non-zero step)");
      }
      return Part.range(!a.isEmpty(), a.isEmpty() ? 0 : Integer.parseInt(a),
          !b.isEmpty(), b.isEmpty() ? 0 : Integer.parseInt(b), step);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Slice: '" + t + "' in \"" + spec
          + "\" is not an index, a slice or '...' (expected: i, start:stop[:step] or ..., with integers i, start, stop, step)");
    }
  }

  /** One part of the spec: an index ({@code start}), a range, or the ellipsis. */
  private static final class Part {
    static final Part ALL = range(false, 0, false, 0, 1);
    static final Part ELLIPSIS = new Part(false, false, 0, false, 0, 1);

    final boolean index;
    final boolean hasStart;
    final int start;
    final boolean hasStop;
    final int stop;
    final int step;

    private Part(boolean index, boolean hasStart, int start, boolean hasStop, int stop, int step) {
      this.index = index;
      this.hasStart = hasStart;
      this.start = start;
      this.hasStop = hasStop;
      this.stop = stop;
      this.step = step;
    }

    static Part index(int i) {
      return new Part(true, true, i, false, 0, 1);
    }

    static Part range(boolean hasStart, int start, boolean hasStop, int stop, int step) {
      return new Part(false, hasStart, start, hasStop, stop, step);
    }

    boolean isIndex() {
      return index;
    }

    @Override
    public String toString() {
      if (this == ELLIPSIS) {
        return "...";
      }
      if (index) {
        return Integer.toString(start);
      }
      return (hasStart ? Integer.toString(start) : "") + ":" + (hasStop ? Integer.toString(stop) : "")
          + (step != 1 ? ":" + step : "");
    }
  }
}
