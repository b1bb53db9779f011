package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.io.SafeTensors;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Transpose and Slice against PyTorch, independent definitions on random shapes, finite differences, and bad inputs. */
class TransposeSliceTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"transpose_1_2", "transpose_order_0_2_3_1", "slice_step", "slice_index", "slice_reverse"})
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    Layer layer = switch (file) {
      case "transpose_1_2" -> new Transpose(1, 2);
      case "transpose_order_0_2_3_1" -> Transpose.permute(0, 2, 3, 1);
      default -> new Slice(st.metadata().get("slice"));
    };
    Conformance.assertClose(file + ": y", st.tensor("y"), layer.forward(st.tensor("x"), true));
    Conformance.assertClose(file + ": gx", st.tensor("gx"), layer.backward(st.tensor("gy")));
  }

  /** A random permutation (or swap) of a random shape is the tensor's strided view, copied; the gradient moves back. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void transposeIsTheViewCopied(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int rank = 1 + r.nextInt(5);
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = 1 + r.nextInt(4);
    }
    int[] order = new int[rank];
    for (int i = 0; i < rank; i++) {
      order[i] = i;
    }
    for (int i = rank - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int[] given = order.clone();
    for (int i = 0; i < rank; i++) {
      if (r.nextBoolean()) {
        given[i] -= rank; // negative axes count from the end
      }
    }
    boolean swap = r.nextBoolean() && rank >= 2;
    int a = r.nextInt(rank);
    int b = r.nextInt(rank);
    Transpose layer = swap ? new Transpose(a - (r.nextBoolean() ? rank : 0), b) : Transpose.permute(given);
    Tensor x = Tensor.uniform(Shape.of(dims), -1, 1, seed);
    Tensor view = swap ? x.transpose(a, b) : permuted(x, order);
    Tensor y = layer.forward(x, true);
    assertEquals(view.shape(), y.shape(), layer.toString());
    assertTrue(y.isContiguous());
    assertArrayEquals(view.toArray(), y.toArray(), layer.toString());
    Tensor gy = Tensor.uniform(y.shape(), -1, 1, seed + 1);
    Tensor gx = layer.backward(gy);
    // Back through the same view: gx viewed like x's view is gy.
    Tensor gxView = swap ? gx.transpose(a, b) : permuted(gx, order);
    assertArrayEquals(gy.toArray(), gxView.toArray(), layer + " backward");
    GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).check(x);
    assertTrue(report.passed(), report::toString);
  }

  /** x.permute(order) as a view, by successive swaps. */
  private static Tensor permuted(Tensor x, int[] order) {
    int[] current = new int[order.length];
    for (int i = 0; i < order.length; i++) {
      current[i] = i;
    }
    Tensor v = x;
    for (int i = 0; i < order.length; i++) {
      int j = i;
      while (current[j] != order[i]) {
        j++;
      }
      v = v.transpose(i, j);
      int t = current[i];
      current[i] = current[j];
      current[j] = t;
    }
    return v;
  }

  @Test
  void transposeReversedAndErrors() {
    Transpose rev = Transpose.permute();
    assertEquals("Transpose(reversed)", rev.toString());
    assertEquals(Shape.of(4, 3, 2), rev.outputShape(Shape.of(2, 3, 4)));
    assertEquals("Transpose(order=[0, 2, 1])", Transpose.permute(0, 2, 1).toString());
    assertEquals("Transpose(1, 2)", new Transpose(1, 2).toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Transpose(1, 3).forward(Tensor.zeros(2, 3, 4), true));
    assertEquals("Transpose(1, 3): input [2, 3, 4] has rank 3 (expected: axes 1 and 3 in [-3, 3))", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Transpose.permute(0, 2, 1).forward(Tensor.zeros(2, 3), true));
    assertEquals("Transpose(order=[0, 2, 1]): input [2, 3] has rank 2 (expected: 3, one axis per entry of the order)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Transpose.permute(0, 1, -2));
    assertEquals("Transpose: order [0, 1, -2] is not a permutation (expected: each axis of 0..2 once, negative ones"
        + " counted from the end)", e.getMessage());
  }

  /**
   * Random parts on random shapes (indices, slices with any step, an ellipsis), against the
   * elements picked one by one; the gradient puts gy back in those places and zero elsewhere.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void sliceSelectsWhatNumpySelects(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int rank = 2 + r.nextInt(3);
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = 1 + r.nextInt(5);
    }
    // Per axis: the input indices selected, and whether the axis stays.
    List<int[]> picks = new ArrayList<>();
    boolean[] keep = new boolean[rank];
    List<String> parts = new ArrayList<>();
    parts.add(":");
    picks.add(range(0, dims[0], 1));
    keep[0] = true;
    for (int a = 1; a < rank; a++) {
      int n = dims[a];
      int kind = r.nextInt(4);
      if (kind == 0) {
        int i = r.nextInt(n);
        boolean neg = r.nextBoolean();
        parts.add(Integer.toString(neg ? i - n : i));
        picks.add(new int[] {i});
      } else if (kind == 1) {
        parts.add(":");
        picks.add(range(0, n, 1));
        keep[a] = true;
      } else {
        int step = (1 + r.nextInt(3)) * (r.nextBoolean() ? 1 : -1);
        int start;
        int stop;
        if (step > 0) {
          start = r.nextInt(n);
          stop = start + 1 + r.nextInt(n - start);
        } else {
          start = r.nextInt(n);
          stop = r.nextInt(start + 1) - 1; // -1: through element 0, written as an open stop
        }
        String s = (r.nextBoolean() ? Integer.toString(start) : Integer.toString(start - n)) + ":"
            + (stop < 0 ? "" : Integer.toString(stop)) + ":" + step;
        parts.add(s);
        picks.add(range(start, stop, step));
        keep[a] = true;
      }
    }
    String spec = String.join(", ", parts);
    if (r.nextBoolean() && parts.get(rank - 1).equals(":")) {
      spec = String.join(", ", parts.subList(0, rank - 1)); // trailing axes are taken whole
    }
    Slice layer = new Slice(r.nextBoolean() ? "[" + spec + "]" : spec);
    Tensor x = Tensor.uniform(Shape.of(dims), -1, 1, seed);
    Tensor y = layer.forward(x, true);
    List<Integer> outDims = new ArrayList<>();
    for (int a = 0; a < rank; a++) {
      if (keep[a]) {
        outDims.add(picks.get(a).length);
      }
    }
    assertEquals(Shape.of(outDims.stream().mapToInt(Integer::intValue).toArray()), y.shape(), layer.toString());
    // Every selected element, in row-major order of the selection.
    List<int[]> selected = new ArrayList<>();
    collect(picks, 0, new int[rank], selected);
    assertEquals(y.size(), selected.size());
    for (int k = 0; k < selected.size(); k++) {
      assertEquals(x.get(selected.get(k)), y.getFlat(k), layer + " element " + k);
    }
    Tensor gy = Tensor.uniform(y.shape(), 1, 2, seed + 1);
    Tensor gx = layer.backward(gy);
    Tensor expected = Tensor.zeros(x.shape());
    for (int k = 0; k < selected.size(); k++) {
      expected.set(gy.getFlat(k), selected.get(k));
    }
    assertArrayEquals(expected.toArray(), gx.toArray(), layer + " backward");
    GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).check(x);
    assertTrue(report.passed(), report::toString);
  }

  private static int[] range(int start, int stop, int step) {
    List<Integer> l = new ArrayList<>();
    for (int k = start; step > 0 ? k < stop : k > stop; k += step) {
      l.add(k);
    }
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  private static void collect(List<int[]> picks, int axis, int[] index, List<int[]> out) {
    if (axis == picks.size()) {
      out.add(index.clone());
      return;
    }
    for (int i : picks.get(axis)) {
      index[axis] = i;
      collect(picks, axis + 1, index, out);
    }
  }

  @Test
  void theJavaFormIsTheStringForm() {
    assertEquals("Slice[:, 1:4]", Slice.of(1, 1, 4).toString());
    assertEquals("Slice[:, :, 0:6:2]", Slice.of(2, 0, 6, 2).toString());
    assertEquals("Slice[..., -1::-1]", Slice.of(-1, -1, Slice.END, -1).toString());
    assertEquals("Slice[..., 2:, :]", Slice.of(-2, 2, Slice.END).toString());
    assertEquals("Slice[:, 0]", Slice.index(1, 0).toString());
    assertEquals("Slice[:, 0, :]", new Slice(" [ :,0 , : ] ").toString());
    assertEquals("Slice[:, 1:3, ::2]", new Slice(":, 1:3, ::2,").toString());
    Tensor x = Tensor.uniform(Shape.of(2, 3, 8), -1, 1, 1);
    String[][] same = {{":, :, 0:6:2", null}, {"..., 3:", null}, {":, 1", null}, {"..., ::-1", null}};
    Layer[] java = {Slice.of(2, 0, 6, 2), Slice.of(-1, 3, Slice.END), Slice.index(1, 1), Slice.of(-1, -1, Slice.END, -1)};
    for (int i = 0; i < java.length; i++) {
      Slice s = new Slice(same[i][0]);
      assertArrayEquals(s.forward(x, true).toArray(), java[i].forward(x, true).toArray(), same[i][0]);
    }
    // The class token of [N, T, D]: [N, D].
    assertEquals(Shape.of(2, 8), Slice.index(1, 0).outputShape(Shape.of(2, 3, 8)));
    assertEquals(Shape.of(2, 8), new Slice(":, 0, :").outputShape(Shape.of(2, 3, 8)));
  }

  @Test
  void sliceErrorsNameTheAxisAndItsExtent() {
    assertMessage("Slice[:, 5]: index 5 is out of range for axis 1 of extent 3 in input [2, 3] (expected: -3 <= index < 3)",
        () -> new Slice(":, 5").outputShape(Shape.of(2, 3)));
    assertMessage("Slice[:, -4]: index -4 is out of range for axis 1 of extent 3 in input [2, 3] (expected: -3 <= index < 3)",
        () -> new Slice(":, -4").outputShape(Shape.of(2, 3)));
    assertMessage("Slice[:, 1:9]: stop 9 is out of range for axis 1 of extent 5 in input [2, 5] (expected: -5 <= stop <= 5)",
        () -> new Slice(":, 1:9").outputShape(Shape.of(2, 5)));
    assertMessage("Slice[:, 5::-1]: start 5 is out of range for axis 1 of extent 5 in input [2, 5]"
        + " (expected: -5 <= start <= 4)", () -> new Slice(":, 5::-1").outputShape(Shape.of(2, 5)));
    assertMessage("Slice[:, 3:1]: 3:1 selects no element of axis 1 of extent 5 in input [2, 5] (expected: at least one)",
        () -> new Slice(":, 3:1").outputShape(Shape.of(2, 5)));
    assertMessage("Slice[:, :, 0]: input [2, 3] has rank 2 (expected: at least 3, one axis per part)",
        () -> new Slice(":, :, 0").outputShape(Shape.of(2, 3)));
    assertMessage("Slice[1:]: '1:' selects part of axis 0 of input [4, 3], the batch axis (expected: all of it, ':')",
        () -> new Slice("1:").outputShape(Shape.of(4, 3)));
    assertMessage("Slice[..., 0]: '0' selects part of axis 0 of input [4], the batch axis (expected: all of it, ':')",
        () -> Slice.index(-1, 0).outputShape(Shape.of(4)));
    assertMessage("Slice: axis 0 is the batch axis (expected: an axis >= 1 or < 0)", () -> Slice.of(0, 0, 1));
    assertMessage("Slice: step 0 on axis 1 (expected: a non-zero step)", () -> Slice.of(1, 0, 1, 0));
    assertMessage("Slice: step 0 in '::0' of \":, ::0\" (expected: a non-zero step)", () -> new Slice(":, ::0"));
    assertMessage("Slice: 'a' in \":, a\" is not an index, a slice or '...' (expected: i, start:stop[:step] or ...,"
        + " with integers i, start, stop, step)", () -> new Slice(":, a"));
    assertMessage("Slice: '1:2:3:4' in \":, 1:2:3:4\" is not an index, a slice or '...' (expected: i, start:stop[:step]"
        + " or ..., with integers i, start, stop, step)", () -> new Slice(":, 1:2:3:4"));
    assertMessage("Slice: empty part 1 in \":, , 1\" (expected: an index i, a slice start:stop[:step] or ...)",
        () -> new Slice(":, , 1"));
    assertMessage("Slice: empty part 0 in \"\" (expected: an index i, a slice start:stop[:step] or ...)",
        () -> new Slice(""));
    assertMessage("Slice: a second '...' in \"..., 0, ...\" (expected: at most one)", () -> new Slice("..., 0, ..."));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
