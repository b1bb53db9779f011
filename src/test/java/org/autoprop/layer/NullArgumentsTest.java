package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;

/** One convention for null arguments: a NullPointerException whose message is the parameter's name. */
class NullArgumentsTest {
  private static String npe(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(NullPointerException.class, call).getMessage();
  }

  @Test
  void layerArgumentsNameTheParameter() {
    assertEquals("text", npe(() -> Padding.parse(null)));
    assertEquals("p", npe(() -> Conv2D.builder(1, 1).padding((Padding) null)));
    assertEquals("initializer", npe(() -> Conv2D.builder(1, 1).initializer(null)));
    assertEquals("bn", npe(() -> new BatchNormReLU2D(null)));
    assertEquals("spec", npe(() -> new Slice(null)));
    assertEquals("order", npe(() -> Transpose.permute((int[]) null)));
    assertEquals("initializer", npe(() -> Embedding.builder(2, 2).initializer(null)));
    assertEquals("initializer", npe(() -> DenseND.builder(2, 2, 1).initializer(null)));
    assertEquals("initializer", npe(() -> PositionEmbedding.builder(2, 2).initializer(null)));
    assertEquals("initializer", npe(() -> ClassToken.builder(2).initializer(null)));
    LinkedHashMap<String, Layer> children = new LinkedHashMap<>();
    children.put("relu", new ReLU());
    children.put("gap", null);
    assertEquals("layers: child 'gap' is null", npe(() -> new Sequential(children)));
  }
}
