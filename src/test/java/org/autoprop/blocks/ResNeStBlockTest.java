package org.autoprop.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.ZooCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ResNeStBlock, the bottleneck with timm's SE module and Luma's Bottleneck_SK against their published definitions
 * composed of torch.nn ({@code tools/conformance/resnest_blocks.py}): the state dict loads strictly,
 * the training output, the input and parameter gradients and the evaluation output agree, at radix
 * 2 (one and two cardinal groups, identity and projected shortcut) and radix 1 (the sigmoid gate).
 * Finite differences: the catalogue entries in {@code LayerCatalog}.
 */
class ResNeStBlockTest {
  private static final SafeTensors F = Conformance.load("zoo_resnest");

  @Test
  void everyBlockOfTheFileIsHere() {
    assertEquals("radix2,radix2_card2_stride2,radix1,se_bottleneck,sk_bottleneck,sk_bottleneck_stride2",
        F.metadata().get("blocks"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"radix2, 8, 2, 1, 2, 1, 64, 4", "radix2_card2_stride2, 6, 4, 2, 2, 2, 32, 6",
      "radix1, 4, 2, 1, 1, 1, 64, 0"})
  void splitAttentionMatchesTheAuthorsDefinition(String key, int in, int planes, int stride, int radix,
      int cardinality, int baseWidth, int attention) {
    ResNeStBlock.Builder b = ResNeStBlock.builder(in, planes).stride(stride).radix(radix).cardinality(cardinality)
        .baseWidth(baseWidth).seed(1);
    ZooCases.assertBlockCase(F, key, (attention > 0 ? b.attentionChannels(attention) : b).build());
  }

  @Test
  void bottleneckWithTimmsSeModuleMatches() {
    assertEquals(8, ResNetBlock.timmSeWidth(16));
    ZooCases.assertBlockCase(F, "se_bottleneck",
        ResNetBlock.bottleneck(8, 4).stride(2).seModule(ResNetBlock.timmSeWidth(16)).seed(1).build());
  }

  @Test
  void bottleneckSKMatchesLumasDefinition() {
    ResNetBlock stride1 = ResNetBlock.bottleneckSK(8, 2).skReduction(2).seed(1).build();
    assertEquals("ResNetBlock.Bottleneck_SK", stride1.typeName());
    ZooCases.assertBlockCase(F, "sk_bottleneck", stride1);
    ZooCases.assertBlockCase(F, "sk_bottleneck_stride2",
        ResNetBlock.bottleneckSK(4, 4).stride(2).skKernels(1, 3).skReduction(2).groups(2).seed(1).build());
    var e = assertThrows(IllegalArgumentException.class, () -> ResNetBlock.bottleneck(4, 4).skKernels(3));
    assertEquals("ResNetBlock.Bottleneck: skKernels is an option of ResNetBlock.Bottleneck_SK", e.getMessage());
  }

  @ParameterizedTest(name = "{0} channels -> {1}")
  @CsvSource({"16, 8", "64, 8", "256, 16", "512, 32", "1024, 64", "2048, 128", "200, 16", "190, 8"})
  void timmsSeWidthRoundsToEights(int channels, int expected) {
    assertEquals(expected, ResNetBlock.timmSeWidth(channels));
  }

  @Test
  void theAttentionWidthIsTheAuthorsAndOptionsAreChecked() {
    ResNeStBlock block = ResNeStBlock.builder(16, 4).seed(2).build();
    assertEquals("ResNeStBlock", block.typeName());
    // w = 4, radix 2: max(4 * 2 / 4, 32) = 32 attention channels; the conv doubles w for the splits, in groups of 2.
    assertEquals(Shape.of(32, 4, 1, 1), StateDict.of(block).get("conv2.fc1.weight").shape());
    assertEquals(Shape.of(8, 2, 3, 3), StateDict.of(block).get("conv2.conv.weight").shape());
    assertEquals(Shape.of(2, 16, 3, 3), block.outputShape(Shape.of(2, 16, 3, 3)));
    var e = assertThrows(IllegalArgumentException.class, () -> ResNeStBlock.builder(4, 2).radix(0));
    assertEquals("ResNeStBlock: radix 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ResNeStBlock.builder(4, 2).cardinality(2).attentionChannels(5).build());
    assertEquals("ResNeStBlock: attention width 5 is not a multiple of cardinality 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResNeStBlock.builder(4, 1).baseWidth(8).build());
    assertEquals("ResNeStBlock: width planes * baseWidth / 64 * cardinality = 0 (expected: 1 .. 1073741823)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResNeStBlock.builder(4, 2).baseWidth(32).cardinality(2)
        .build());
    assertEquals("ResNeStBlock: width 2 is not a multiple of cardinality * radix = 2 * 2 (the split-attention "
        + "convolution's groups)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> block.forward(Tensor.zeros(1, 8, 3, 3), false));
    assertTrue(e.getMessage().startsWith("ResNeStBlock: ") && e.getMessage().contains("[1, 8, 3, 3]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ResNetBlock.bottleneck(8, 2).squeezeExcitation(4).seModule(8).build());
    assertEquals("ResNetBlock.Bottleneck: squeezeExcitation and seModule together (expected: one gate)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResNetBlock.basic(8, 2).seModule(8));
    assertEquals("ResNetBlock.Basic: seModule is an option of the bottleneck block", e.getMessage());
  }
}
