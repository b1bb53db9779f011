package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Sequential: names, prefixes, shape errors, gradients. */
class SequentialTest {
  @Test
  void childrenAreNumberedAndPrefixParameters() {
    Sequential s = new Sequential(new Scale(3, 1), new Smooth(), new Mix(3, 2, 2), new MeanHW());
    assertEquals(List.of("0", "1", "2", "3"), s.names());
    assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), s.parameters().stream().map(Parameter::name).toList());
    assertEquals(List.of("3.calls"), List.copyOf(s.buffers().keySet()));
    assertEquals(Shape.of(2, 2, 1, 1), s.outputShape(Shape.of(2, 3, 5, 5)));
    assertEquals("Sequential", s.typeName());
  }

  @Test
  void namedChildren() {
    LinkedHashMap<String, Layer> m = new LinkedHashMap<>();
    m.put("conv", new Mix(3, 4, 1));
    m.put("act", new Smooth());
    Sequential s = new Sequential(m);
    assertEquals(List.of("conv.weight", "conv.bias"), s.parameters().stream().map(Parameter::name).toList());
  }

  @Test
  void shapeErrorsNameTheChild() {
    Sequential s = new Sequential(new Scale(3, 1), new Mix(4, 2, 2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.outputShape(Shape.of(2, 3, 4, 4)));
    assertEquals("Sequential child '1' (Mix): Mix(4->2): input [2, 3, 4, 4] has 3 channels (expected: 4)", e.getMessage());
  }

  @Test
  void invalidConstructions() {
    assertEquals("Sequential needs at least one layer (got none)",
        assertThrows(IllegalArgumentException.class, () -> new Sequential()).getMessage());
    Smooth twice = new Smooth();
    assertEquals("Sequential: the same Smooth object is both child '0' and child '2'",
        assertThrows(IllegalArgumentException.class, () -> new Sequential(twice, new Scale(3, 1), twice)).getMessage());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Sequential s = new Sequential(new Scale(3, 1), new Smooth(), new Mix(3, 2, 2), new Smooth(), new Mix(2, 3, 3));
    GradCheck.Report r = GradCheck.forLayer(s).check(Tensor.uniform(Shape.of(2, 3, 3, 4), -1, 1, 5));
    assertTrue(r.passed(1e-2), r::toString);
  }
}
