package org.autoprop.layer;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.blocks.ConvBlock1D;
import org.autoprop.blocks.ConvBlock2D;
import org.autoprop.blocks.ConvBlock3D;
import org.autoprop.blocks.ResNetBlock;
import org.autoprop.blocks.SEBlock1D;
import org.autoprop.blocks.SEBlock2D;
import org.autoprop.blocks.SEBlock3D;
import org.autoprop.blocks.SKBlock1D;
import org.autoprop.blocks.SKBlock2D;
import org.autoprop.blocks.SKBlock3D;
import org.autoprop.blocks.SeparableConv1D;
import org.autoprop.blocks.SeparableConv2D;
import org.autoprop.blocks.SeparableConv3D;
import org.autoprop.graph.LayerGraph;
import org.autoprop.zoo.ResNet;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.models.Decoder;
import org.autoprop.models.DecoderStack;
import org.autoprop.models.Encoder;
import org.autoprop.models.EncoderStack;
import org.autoprop.models.PositionwiseFeedForward;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.zoo.AlexNet;
import org.autoprop.zoo.LeNet5;
import org.autoprop.zoo.VGG;

/**
 * Every layer of the library, each in one or more settings with an input it takes: what
 * {@link LayerContractTest} and {@link LayerContractAllocationTest} run through the {@link Layer}
 * contract. {@link LayerContractTest#everyPublicLayerIsInTheCatalog} fails when a public layer class
 * of the main sources is missing here, so a new layer cannot be forgotten.
 */
final class LayerCatalog {
  private LayerCatalog() {}

  /** Makes an input of a given shape from a seed. */
  @FunctionalInterface
  interface Inputs {
    /** A fresh tensor of shape {@code s}, the same for the same seed. */
    Tensor make(Shape s, long seed);

    /** Uniform in [-1, 1): what every layer with a differentiable input takes. */
    Inputs UNIFORM = (s, seed) -> Tensor.uniform(s, -1f, 1f, seed);

    /** Token ids: integers uniform in [from, vocab), as floats (for {@link Embedding}). */
    static Inputs ids(int from, int vocab) {
      return (s, seed) -> {
        Tensor t = Tensor.zeros(s);
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < t.size(); i++) {
          t.data()[i] = r.nextInt(from, vocab);
        }
        return t;
      };
    }
  }

  /**
   * One setting of a layer.
   *
   * @param name how the test names it
   * @param make a fresh layer (called several times; each call gives an independent instance)
   * @param input an input shape it takes, small enough to run below the parallel thresholds
   * @param stochastic whether training passes draw random numbers (checked with gradients in
   *     evaluation mode)
   * @param inputs makes the inputs the tests feed it ({@link Inputs#UNIFORM} unless the layer
   *     takes special values, such as token ids)
   * @param differentiableInput whether the input has a gradient that finite differences can
   *     check (false for token ids: the gradient check then checks the parameters alone)
   */
  record Entry(String name, Supplier<Layer> make, Shape input, boolean stochastic, Inputs inputs,
      boolean differentiableInput) {
    /** A setting with uniform, differentiable inputs. */
    Entry(String name, Supplier<Layer> make, Shape input, boolean stochastic) {
      this(name, make, input, stochastic, Inputs.UNIFORM, true);
    }

    @Override
    public String toString() {
      return name;
    }

    /** An input of shape {@code s} from {@link #inputs}. */
    Tensor sample(Shape s, long seed) {
      return inputs.make(s, seed);
    }

    /** The same input with one more sample: a second shape for the shape cache. */
    Shape otherBatch() {
      int[] dims = input.dims();
      dims[0]++;
      return Shape.of(dims);
    }
  }

  private static Entry of(String name, Supplier<Layer> make, int... input) {
    return new Entry(name, make, Shape.of(input), false);
  }

  /** Every entry. */
  static List<Entry> entries() {
    return List.of(
        of("Conv2D 3x3 same", () -> Conv2D.builder(3, 4).kernel(3).padding(1).seed(1).build(), 2, 3, 6, 6),
        of("Conv2D 3x3 stride 2, no bias", () -> Conv2D.builder(4, 5).kernel(3).stride(2).bias(false).seed(2).build(),
            2, 4, 7, 7),
        of("Conv2D 1x1 pointwise", () -> Conv2D.builder(4, 3).kernel(1).seed(3).build(), 2, 4, 5, 5),
        of("Conv2D depthwise", () -> Conv2D.builder(4, 4).kernel(3).padding(1).groups(4).seed(4).build(), 2, 4, 5, 6),
        of("Conv2D grouped dilated", () -> Conv2D.builder(4, 6).kernel(3).dilation(2).groups(2).seed(5).build(),
            2, 4, 7, 7),
        of("Conv2D wide (transposed input gradient)",
            () -> Conv2D.builder(12, 4).kernel(3).padding(1).seed(6).build(), 2, 12, 5, 5),
        of("ConvTranspose2D 4x4 stride 2 padding 1",
            () -> ConvTranspose2D.builder(4, 3).kernel(4).stride(2).padding(1).seed(61).build(), 2, 4, 3, 4),
        of("ConvTranspose2D grouped, output padding, no bias", () -> ConvTranspose2D.builder(4, 6).kernel(3, 2)
            .stride(2, 3).padding(1, 0).outputPadding(1, 2).groups(2).bias(false).seed(62).build(), 2, 4, 3, 3),
        of("ConvTranspose2D dilated, output padding beyond the stride",
            () -> ConvTranspose2D.builder(3, 2).kernel(3).dilation(2).outputPadding(1).seed(63).build(), 2, 3, 4, 3),
        of("Conv1D 3 same", () -> Conv1D.builder(3, 4).kernel(3).padding("same").seed(31).build(), 2, 3, 9),
        of("Conv1D depthwise x2 stride 2, no bias",
            () -> Conv1D.builder(4, 8).kernel(3).stride(2).groups(4).bias(false).seed(32).build(), 2, 4, 9),
        of("Conv3D 3x3x3 padded", () -> Conv3D.builder(2, 3).kernel(3).padding(1).seed(33).build(), 2, 2, 4, 5, 4),
        of("Conv3D wide (transposed input gradient)", () -> Conv3D.builder(12, 3).kernel(3).padding(1).seed(37).build(),
            2, 12, 3, 4, 4),
        of("Conv3D strided dilated grouped", () -> Conv3D.builder(4, 2).kernel(2, 3, 2).stride(2, 1, 2)
            .dilation(2, 1, 1).padding(1, 0, 1).groups(2).seed(34).build(), 2, 4, 6, 4, 5),
        of("BatchNorm3D", () -> new BatchNorm3D(3), 2, 3, 2, 3, 4),
        of("GroupNorm 2 groups", () -> ZooNormsTest.withParameters(new GroupNorm(2, 4)), 2, 4, 3, 3),
        of("GroupNorm rank 3, no affine", () -> GroupNorm.builder(3, 3).affine(false).build(), 2, 3, 5),
        of("InstanceNorm2D", () -> new InstanceNorm2D(3), 2, 3, 3, 4),
        of("InstanceNorm2D affine",
            () -> ZooNormsTest.withParameters(InstanceNorm2D.builder(3).affine(true).build()), 2, 3, 3, 4),
        of("LocalResponseNorm", () -> LocalResponseNorm.builder(3).alpha(0.5).k(2).build(), 2, 5, 3, 3),
        of("LayerNorm2D", () -> ZooNormsTest.withParameters(new LayerNorm2D(4)), 2, 4, 3, 3),
        of("GlobalResponseNorm", () -> ZooNormsTest.withParameters(new GlobalResponseNorm(3)), 2, 3, 3, 4),
        of("LayerScale", () -> new LayerScale(3, 0.5), 2, 3, 3, 4),
        of("MaxPool1D", () -> Pool1D.max(3, 2, 1), 2, 3, 9),
        of("AvgPool1D ceil, count_include_pad=false",
            () -> Pool1D.builder(false).kernel(3).stride(2).padding(1).ceilMode(true).countIncludePad(false).build(),
            2, 2, 8),
        of("MaxPool3D ceil", () -> Pool3D.builder(true).kernel(2, 3, 2).stride(2, 2, 1).padding(1, 1, 0)
            .ceilMode(true).build(), 2, 2, 5, 5, 4),
        of("AvgPool3D", () -> Pool3D.avg(2), 2, 3, 4, 4, 6),
        of("HardSigmoid", HardSigmoid::new, 2, 9),
        of("Mish", Mish::new, 2, 3, 4),
        of("ChannelShuffle groups 3", () -> new ChannelShuffle(3), 2, 6, 2, 3),
        of("ZeroPad2D", () -> new ZeroPad2D(1, 2, 0, 3), 2, 2, 3, 4),
        of("ZeroPad2D cropping", () -> new ZeroPad2D(-1, 2, 1, -2), 1, 2, 4, 5),
        of("Upsample nearest x2", () -> Upsample.nearest(2), 2, 2, 3, 4),
        of("Upsample nearest scale 1.5x0.7", () -> Upsample.builder().scaleFactor(1.5, 0.7).build(), 1, 2, 4, 5),
        of("Upsample bilinear x1.5", () -> Upsample.bilinear(1.5, false), 2, 2, 3, 4),
        of("Upsample bilinear size 5x7, align_corners", () -> Upsample.builder().size(5, 7).mode("bilinear")
            .alignCorners(true).build(), 1, 2, 3, 4),
        // Uniform inputs have no ties: a finite-difference step moves no window's maximum.
        of("AdaptiveMaxPool2D 2x3", () -> new AdaptiveMaxPool2D(2, 3), 2, 3, 5, 7),
        new Entry("DropPath", () -> new DropPath(0.3, 44), Shape.of(3, 2, 3), true),
        of("AdaptiveAvgPool1D", () -> new AdaptiveAvgPool1D(3), 2, 3, 7),
        of("GlobalAvgPool1D", GlobalAvgPool1D::new, 2, 3, 5),
        of("AdaptiveAvgPool3D", () -> new AdaptiveAvgPool3D(2, 3, 2), 2, 3, 3, 5, 4),
        of("GlobalAvgPool3D", GlobalAvgPool3D::new, 2, 3, 2, 3, 4),
        new Entry("Dropout1D", () -> new Dropout1D(0.5, 35), Shape.of(2, 4, 5), true),
        new Entry("Dropout3D", () -> new Dropout3D(0.5, 36), Shape.of(2, 4, 2, 3, 2), true),
        of("LpPool1D p=2 stride 2", () -> LpPool1D.builder(2).kernel(3).stride(2).build(), 2, 3, 9),
        of("LpPool2D p=2 ceil", () -> LpPool2D.builder(2).kernel(2, 3).ceilMode(true).build(), 2, 3, 5, 7),
        of("LpPool3D p=2", () -> LpPool3D.of(2, 2), 2, 2, 4, 4, 5),
        new Entry("DropBlock1D", () -> new DropBlock1D(0.3, 3, 41), Shape.of(2, 3, 9), true),
        new Entry("DropBlock2D", () -> new DropBlock2D(0.3, 2, 42), Shape.of(2, 2, 5, 4), true),
        new Entry("DropBlock3D", () -> new DropBlock3D(0.3, 3, 43), Shape.of(2, 2, 3, 4, 4), true),
        of("Buffer", Buffer::new, 2, 3, 4),
        of("Dense", () -> Dense.builder(7, 5).seed(7).build(), 3, 7),
        of("Dense without bias", () -> Dense.builder(4, 2).bias(false).seed(8).build(), 2, 4),
        of("BatchNorm1D [N, C]", () -> new BatchNorm1D(3), 4, 3),
        of("BatchNorm1D [N, C, L]", () -> new BatchNorm1D(3), 2, 3, 4),
        of("BatchNorm2D", () -> new BatchNorm2D(3), 2, 3, 3, 4),
        of("BatchNormReLU2D", () -> new BatchNormReLU2D(new BatchNorm2D(3)), 2, 3, 3, 4),
        of("MaxPool2D", () -> Pool2D.max(2), 2, 3, 4, 6),
        of("MaxPool2D 3/2 padded", () -> Pool2D.max(3, 2, 1), 1, 2, 5, 5),
        of("AvgPool2D", () -> Pool2D.avg(new int[] {2, 3}, new int[] {1, 2}, new int[] {1, 0}), 2, 2, 5, 7),
        of("AdaptiveAvgPool2D", () -> new AdaptiveAvgPool2D(2, 3), 2, 3, 5, 7),
        of("GlobalAvgPool2D", GlobalAvgPool2D::new, 2, 3, 4, 5),
        of("Flatten", Flatten::new, 2, 3, 2, 2),
        of("Reshape", () -> new Reshape(2, -1), 2, 3, 4),
        of("Identity", Identity::new, 2, 3, 4),
        new Entry("Dropout", () -> new Dropout(0.3, 9), Shape.of(3, 8), true),
        new Entry("Dropout2D", () -> new Dropout2D(0.5, 10), Shape.of(2, 4, 3, 3), true),
        of("ReLU", ReLU::new, 2, 3, 4),
        of("ReLU6", ReLU6::new, 2, 9),
        of("LeakyReLU", () -> new LeakyReLU(0.1), 2, 9),
        of("ELU", () -> new ELU(0.7), 2, 9),
        of("SELU", SELU::new, 2, 9),
        of("GELU", GELU::new, 2, 9),
        of("GELU tanh", () -> new GELU(true), 2, 9),
        of("SiLU", SiLU::new, 2, 9),
        of("Swish", () -> new Swish(1.5), 2, 9),
        of("HardSwish", HardSwish::new, 2, 9),
        of("Sigmoid", Sigmoid::new, 2, 9),
        of("Tanh", Tanh::new, 2, 9),
        of("Softplus", () -> new Softplus(2, 5), 2, 9),
        of("Softmax last axis", Softmax::new, 3, 5),
        of("Softmax axis 1", () -> new Softmax(1), 2, 3, 4),
        of("Dense [N, T, in]", () -> Dense.builder(5, 4).seed(21).build(), 2, 3, 5),
        of("DenseND axis 1 [N, C, L]", () -> DenseND.builder(3, 4, 1).seed(22).build(), 2, 3, 5),
        of("DenseND axis -2 without bias", () -> DenseND.builder(3, 2, -2).bias(false).seed(23).build(), 2, 2, 3, 4),
        of("DenseND last axis", () -> DenseND.builder(4, 3, -1).seed(24).build(), 2, 3, 4),
        new Entry("Embedding", () -> Embedding.builder(7, 4).seed(25).build(), Shape.of(2, 3), false,
            Inputs.ids(0, 7), false),
        // Without the padding id: by definition its row gets no gradient though it is used, which
        // finite differences would call wrong (EmbeddingTest checks the padding row).
        new Entry("Embedding padding_idx", () -> Embedding.builder(4, 5).paddingIdx(0).seed(26).build(),
            Shape.of(2, 4), false, Inputs.ids(1, 4), false),
        of("PositionalEncoding", () -> new PositionalEncoding(6, 8), 2, 5, 6),
        of("PositionEmbedding", () -> PositionEmbedding.builder(6, 4).seed(27).build(), 2, 5, 4),
        of("ClassToken", () -> ClassToken.builder(4).seed(28).build(), 2, 3, 4),
        of("Transpose(1, 2)", () -> new Transpose(1, 2), 2, 3, 4),
        of("Transpose order [0, 2, 3, 1]", () -> Transpose.permute(0, 2, 3, 1), 2, 3, 4, 5),
        of("Slice string", () -> new Slice(":, 1:4:2"), 2, 5, 3),
        of("Slice index (class token)", () -> Slice.index(1, 0), 2, 3, 4),
        of("Slice reversed last axis", () -> new Slice("[..., ::-1]"), 2, 3, 4),
        of("GELU [N, T, D]", GELU::new, 2, 3, 4),
        new Entry("Dropout [N, T, D]", () -> new Dropout(0.3, 29), Shape.of(2, 3, 4), true),
        of("LayerNorm last axis", () -> new LayerNorm(5), 2, 3, 5),
        of("LayerNorm last two axes, no affine", () -> LayerNorm.builder(3, 4).affine(false).build(), 2, 3, 4),
        of("RMSNorm", () -> new RMSNorm(6), 3, 6),
        of("RMSNorm last two axes", () -> RMSNorm.builder(2, 3).eps(1e-6).build(), 2, 2, 3),
        of("Sequential", () -> new Sequential(Conv2D.builder(2, 3).kernel(3).padding(1).seed(11).build(),
            new BatchNorm2D(3), new ReLU(), new GlobalAvgPool2D(), new Flatten(), Dense.builder(3, 2).seed(12).build()),
            2, 2, 4, 4),
        of("LayerGraph", LayerCatalog::residualGraph, 2, 2, 4, 4),
        // Layers of several inputs, in their one-input (self-attention) form; the graph below
        // feeds one two inputs.
        of("ScaledDotProductAttention [N, T, E]", ScaledDotProductAttention::new, 2, 5, 4),
        of("ScaledDotProductAttention [N, H, T, E] causal",
            () -> ScaledDotProductAttention.builder().causal(true).scale(0.3).build(), 2, 3, 4, 5),
        of("MultiHeadAttention", () -> MultiHeadAttention.builder(8, 2).seed(15).build(), 2, 5, 8),
        of("MultiHeadAttention causal, no bias, mask function",
            () -> MultiHeadAttention.builder(6, 3).causal(true).bias(false).seed(16)
                .maskFunction((n, tq, tk, out, off) -> out[off + tk - 1] -= 0.5f).build(), 2, 4, 6),
        new Entry("MultiHeadAttention dropout", () -> MultiHeadAttention.builder(4, 2).dropout(0.2).seed(17).build(),
            Shape.of(2, 5, 4), true),
        of("LayerGraph with cross-attention", LayerCatalog::crossAttentionGraph, 2, 3, 4),
        // Transformer blocks (models): the decoders in their one-input form (target = memory).
        of("PositionwiseFeedForward GELU tanh",
            () -> new PositionwiseFeedForward(4, 6, PositionwiseFeedForward.Activation.GELU_TANH, 0, 20), 2, 3, 4),
        of("Encoder post-norm", () -> Encoder.builder(4, 2).dimFeedforward(6).dropout(0).seed(21).build(), 2, 3, 4),
        new Entry("Encoder pre-norm causal, dropout", () -> Encoder.builder(4, 2).dimFeedforward(6).normFirst(true)
            .causal(true).activation(PositionwiseFeedForward.Activation.GELU).seed(22).build(), Shape.of(2, 3, 4), true),
        of("EncoderStack", () -> EncoderStack.of(2, i -> Encoder.builder(4, 1).dimFeedforward(5).dropout(0)
            .seed(23 + i).build(), new LayerNorm(4)), 2, 3, 4),
        of("Decoder post-norm", () -> Decoder.builder(4, 2).dimFeedforward(6).dropout(0).seed(25).build(), 2, 3, 4),
        new Entry("Decoder pre-norm, dropout", () -> Decoder.builder(4, 2).dimFeedforward(6).normFirst(true).seed(26)
            .build(), Shape.of(2, 3, 4), true),
        of("DecoderStack", () -> DecoderStack.of(2, i -> Decoder.builder(4, 2).dimFeedforward(5).dropout(0)
            .seed(27 + i).build(), new LayerNorm(4)), 2, 3, 4),
        // Luma's convolutional blocks (org.autoprop.blocks).
        of("ConvBlock1D (conv, BN, ReLU, max pool)", () -> ConvBlock1D.builder(3, 4).seed(40).build(), 2, 3, 8),
        of("ConvBlock2D no BN, GELU, avg pool 3/2", () -> ConvBlock2D.builder(2, 3).batchNorm(false)
            .activation(GELU::new).avgPool(3, 2).seed(41).build(), 2, 2, 7, 7),
        of("ConvBlock3D valid, stride 2, no pool", () -> ConvBlock3D.builder(2, 3).padding("valid").stride(2).noPool()
            .seed(42).build(), 2, 2, 5, 5, 5),
        of("SeparableConv1D with BN", () -> SeparableConv1D.builder(3, 5).kernel(5).batchNorm(true).seed(43).build(),
            2, 3, 9),
        of("SeparableConv2D stride 2", () -> SeparableConv2D.builder(3, 4).stride(2).padding(1).seed(44).build(),
            2, 3, 7, 7),
        of("SeparableConv3D", () -> SeparableConv3D.builder(2, 3).seed(45).build(), 2, 2, 3, 4, 4),
        of("SEBlock1D", () -> SEBlock1D.builder(8).seed(46).build(), 2, 8, 5),
        of("SEBlock2D gate only", () -> SEBlock2D.builder(4).reduction(2).keepShape(false).seed(47).build(),
            2, 4, 3, 3),
        of("SEBlock3D", () -> SEBlock3D.builder(4).reduction(2).seed(48).build(), 2, 4, 2, 3, 2),
        of("SKBlock1D", () -> SKBlock1D.builder(3, 4).reduction(2).seed(49).build(), 2, 3, 7),
        of("DenseNetBlock.Composite", () -> org.autoprop.blocks.DenseNetBlock.composite(3, 2).bnSize(2).seed(60)
            .build(), 2, 3, 4, 4),
        of("DenseNetBlock.DenseUnit 3 layers", () -> org.autoprop.blocks.DenseNetBlock.denseUnit(2, 3, 2).bnSize(2)
            .seed(61).build(), 2, 2, 3, 4),
        of("DenseNetBlock.Transition", () -> org.autoprop.blocks.DenseNetBlock.transition(4, 2).seed(62).build(),
            2, 4, 5, 4),
        of("DenseNet (zoo) tiny", () -> org.autoprop.zoo.DenseNet.custom("DenseNet-tiny", 2, 3, 2, 1).bnSize(2)
            .classes(3).inChannels(2).seed(63).build(), 2, 2, 16, 16),
        of("MaxPool2D 3x3 stride 2, ceil mode", () -> Pool2D.maxCeilMode(3, 2, 0), 2, 3, 6, 6),
        of("MaxPool2D 3x3 stride 2, padding 1, ceil mode", () -> Pool2D.maxCeilMode(3, 2, 1), 2, 2, 6, 5),
        of("Scale 0.17", () -> new Scale(0.17), 2, 3, 4),
        of("BasicConv2D 1x3, stride 2", () -> org.autoprop.blocks.BasicConv2D.builder(3, 4).kernel(1, 3).stride(2)
            .padding(0, 1).seed(70).build(), 2, 3, 5, 5),
        of("IncepBlock.V1", () -> org.autoprop.blocks.IncepBlock.v1(4, 2, 2, 3, 1, 2, 2).seed(71).build(), 2, 4, 4, 4),
        of("IncepBlock.V2.TypeA /16", () -> org.autoprop.blocks.IncepBlock.v2TypeA(3, 2).widthDivisor(16).seed(72)
            .build(), 2, 3, 4, 4),
        of("IncepBlock.V2.ReduxA /32", () -> org.autoprop.blocks.IncepBlock.v2ReduxA(3).widthDivisor(32).seed(73)
            .build(), 2, 3, 5, 5),
        of("IncepBlock.V2.TypeB /32", () -> org.autoprop.blocks.IncepBlock.v2TypeB(3, 2).widthDivisor(32).seed(74)
            .build(), 2, 3, 4, 4),
        of("IncepBlock.V2.ReduxB /32", () -> org.autoprop.blocks.IncepBlock.v2ReduxB(3).widthDivisor(32).seed(75)
            .build(), 2, 3, 5, 5),
        of("IncepBlock.V2.TypeC /32", () -> org.autoprop.blocks.IncepBlock.v2TypeC(3).widthDivisor(32).seed(76)
            .build(), 2, 3, 3, 3),
        of("IncepBlock.V4.Stem /32", () -> org.autoprop.blocks.IncepBlock.v4Stem(2).widthDivisor(32).seed(78).build(),
            2, 2, 61, 61),
        of("IncepBlock.V4.TypeA /32", () -> org.autoprop.blocks.IncepBlock.v4TypeA(4).widthDivisor(32).seed(78)
            .build(), 2, 4, 4, 4),
        of("IncepBlock.V4.ReduxA /32", () -> org.autoprop.blocks.IncepBlock.v4ReduxA(4).widthDivisor(32).seed(79)
            .build(), 2, 4, 5, 5),
        of("IncepBlock.V4.TypeB /32", () -> org.autoprop.blocks.IncepBlock.v4TypeB(4).widthDivisor(32).seed(80)
            .build(), 2, 4, 4, 4),
        of("IncepBlock.V4.ReduxB /32", () -> org.autoprop.blocks.IncepBlock.v4ReduxB(4).widthDivisor(32).seed(81)
            .build(), 2, 4, 5, 5),
        of("IncepBlock.V4.TypeC /32", () -> org.autoprop.blocks.IncepBlock.v4TypeC(4).widthDivisor(32).seed(82)
            .build(), 2, 4, 3, 3),
        of("IncepResBlock.V1.TypeA /16", () -> org.autoprop.blocks.IncepResBlock.v1TypeA(4).widthDivisor(16).seed(83)
            .build(), 2, 4, 4, 4),
        of("IncepResBlock.V1.TypeB /32", () -> org.autoprop.blocks.IncepResBlock.v1TypeB(4).widthDivisor(32).seed(84)
            .build(), 2, 4, 5, 5),
        of("IncepResBlock.V1.TypeC /32, scale 1", () -> org.autoprop.blocks.IncepResBlock.v1TypeC(4).widthDivisor(32)
            .scale(1).seed(85).build(), 2, 4, 3, 3),
        of("IncepResBlock.V2.TypeA /16", () -> org.autoprop.blocks.IncepResBlock.v2TypeA(4).widthDivisor(16).seed(86)
            .build(), 2, 4, 4, 4),
        of("IncepResBlock.V2.TypeB /32", () -> org.autoprop.blocks.IncepResBlock.v2TypeB(4).widthDivisor(32).seed(87)
            .build(), 2, 4, 4, 4),
        of("IncepResBlock.V2.TypeC /32, no ReLU", () -> org.autoprop.blocks.IncepResBlock.v2TypeC(4).widthDivisor(32)
            .relu(false).seed(88).build(), 2, 4, 3, 3),
        of("XceptionBlock.Entry, no leading ReLU", () -> org.autoprop.blocks.XceptionBlock.entry(3, 4)
            .startWithRelu(false).seed(89).build(), 2, 3, 5, 5),
        of("XceptionBlock.Middle", () -> org.autoprop.blocks.XceptionBlock.middle(3).seed(90).build(), 2, 3, 3, 3),
        of("XceptionBlock.Exit", () -> org.autoprop.blocks.XceptionBlock.exit(3, 4).seed(91).build(), 2, 3, 5, 5),
        of("Xception (zoo) /8, one middle block", () -> org.autoprop.zoo.Xception.builder().widthDivisor(8)
            .middleBlocks(1).classes(3).inChannels(1).seed(94).build(), 2, 1, 48, 48),
        of("SKBlock2D kernels 1, 3, grouped", () -> SKBlock2D.builder(4, 4).kernels(1, 3).groups(2).reduction(2)
            .seed(50).build(), 2, 4, 5, 5),
        of("ResNetBlock.Basic stride 2", () -> ResNetBlock.basic(3, 4).stride(2).seed(52).build(), 2, 3, 5, 5),
        of("ResNetBlock.Bottleneck ResNeXt, SE", () -> ResNetBlock.bottleneck(4, 2).groups(2).squeezeExcitation(4)
            .seed(53).build(), 2, 4, 4, 4),
        of("ResNetBlock.PreActBottleneck identity", () -> ResNetBlock.preActBottleneck(8, 2).seed(54).build(),
            2, 8, 3, 3),
        of("ResNet (stages 1, 1, 1, 1, width 4, small-image stem)", () -> ResNet.custom("ResNet-10", false, 1, 1, 1, 1)
            .width(4).classes(3).inChannels(1).smallImages().seed(55).build(), 2, 1, 16, 16),
        of("VGG custom, batch norm, no dropout", () -> VGG.custom("VGG-tiny", true, new int[] {3}, new int[] {4, 4})
            .inChannels(2).hidden(6).dropout(0).classes(3).seed(61).build(), 2, 2, 8, 8),
        new Entry("VGG custom, dropout", () -> VGG.custom("VGG-tiny", false, new int[] {3}).inChannels(2).hidden(6)
            .classes(3).seed(62).build(), Shape.of(2, 2, 6, 6), true),
        new Entry("AlexNet narrow, dropout", () -> AlexNet.alexnet().widths(4, 6, 6, 6, 6).hidden(6).classes(3).seed(63)
            .build(),
            Shape.of(2, 3, 63, 63), true),
        of("LeNet-5", () -> LeNet5.lenet5().classes(3).seed(64).build(), 2, 1, 32, 32),
        of("SqueezeExcitation (torchvision's), hard sigmoid", () -> org.autoprop.blocks.SqueezeExcitation.builder(4, 2)
            .scaleActivation(HardSigmoid::new).seed(70).build(), 2, 4, 3, 3),
        of("MobileNetBlock.InvResV3 SE, hard swish, residual", () -> org.autoprop.blocks.MobileNetBlock
            .invResV3(4, 8, 4).squeezeExcitation(2).hardSwish().seed(71).build(), 3, 4, 4, 4),
        of("MobileNetBlock.InvResV3 no expansion, kernel 5, stride 2", () -> org.autoprop.blocks.MobileNetBlock
            .invResV3(3, 3, 5).kernel(5).stride(2).seed(72).build(), 2, 3, 5, 5),
        of("EfficientBlock.MBConv residual (expand 1 of 4 is 8)", () -> org.autoprop.blocks.EfficientBlock.mbConv(4, 4)
            .expand(1).seed(73).build(), 3, 4, 3, 3),
        of("EfficientBlock.MBConv kernel 5, stride 2", () -> org.autoprop.blocks.EfficientBlock.mbConv(3, 5).expand(2)
            .kernel(5).stride(2).seed(74).build(), 2, 3, 5, 5),
        new Entry("EfficientBlock.FusedMBConv residual, stochastic depth", () -> org.autoprop.blocks.EfficientBlock
            .fusedMBConv(4, 4).expand(2).stochasticDepth(0.5).seed(75).build(), Shape.of(3, 4, 4, 4), true),
        of("EfficientBlock.FusedMBConv no expansion, stride 2", () -> org.autoprop.blocks.EfficientBlock
            .fusedMBConv(8, 4).expand(1).stride(2).seed(76).build(), 2, 8, 5, 5),
        of("MobileNetV3-Small width 0.1, one channel", () -> org.autoprop.zoo.MobileNetV3.small().widthMultiplier(0.1)
            .dropout(0).classes(3).inChannels(1).seed(77).build(), 3, 1, 16, 16),
        of("MobileNetV3-Large width 0.1", () -> org.autoprop.zoo.MobileNetV3.large().widthMultiplier(0.1).dropout(0)
            .classes(3).seed(78).build(), 3, 3, 32, 32),
        of("EfficientNet custom, width 0.5, depth 1.5", () -> org.autoprop.zoo.EfficientNet.custom("EfficientNet-tiny",
            org.autoprop.zoo.EfficientNet.Stage.mbConv(1, 3, 1, 16, 8, 1),
            org.autoprop.zoo.EfficientNet.Stage.mbConv(4, 3, 2, 16, 16, 1)).widthMultiplier(0.5).depthMultiplier(1.5)
            .dropout(0).stochasticDepth(0).classes(3).seed(79).build(), 3, 3, 16, 16),
        new Entry("EfficientNetV2 custom, fused, stochastic depth, dropout", () -> org.autoprop.zoo.EfficientNet
            .custom("EfficientNetV2-tiny", org.autoprop.zoo.EfficientNet.Stage.fused(1, 3, 1, 8, 8, 2),
                org.autoprop.zoo.EfficientNet.Stage.mbConv(4, 3, 2, 8, 16, 1))
            .lastChannel(16).eps(1e-3).classes(3).seed(80).build(), Shape.of(2, 3, 16, 16), true),
        of("SKBlock3D one branch", () -> SKBlock3D.builder(2, 2).kernels(3).reduction(1).seed(51).build(),
            2, 2, 3, 4, 3),
        of("ConvNeXtBlock.V1 layer scale 1", () -> org.autoprop.blocks.ConvNeXtBlock.v1(3).layerScale(1).seed(71)
            .build(), 2, 3, 4, 5),
        new Entry("ConvNeXtBlock.V1 stochastic depth 0.5", () -> org.autoprop.blocks.ConvNeXtBlock.v1(2).layerScale(1)
            .stochasticDepth(0.5).seed(72).build(), Shape.of(3, 2, 3, 3), true),
        of("ConvNeXtBlock.V2", () -> org.autoprop.blocks.ConvNeXtBlock.v2(2).seed(73).build(), 2, 2, 4, 3),
        of("ConvNeXt (zoo) widths 4, 6, depths 1, 1", () -> org.autoprop.zoo.ConvNeXt.custom("ConvNeXt-narrow",
            new int[] {4, 6}, new int[] {1, 1}).layerScale(1).classes(3).inChannels(2).seed(74).build(), 2, 2, 16, 16),
        of("ShuffleNetBlock stride 1", () -> org.autoprop.blocks.ShuffleNetBlock.builder(4, 4, 1).seed(75).build(),
            2, 4, 4, 3),
        of("ShuffleNetBlock stride 2", () -> org.autoprop.blocks.ShuffleNetBlock.builder(3, 4, 2).seed(76).build(),
            2, 3, 5, 4),
        of("ShuffleNetV2 (zoo) repeats 1, 2, 1, channels 6, 4, 4, 6, 8", () -> org.autoprop.zoo.ShuffleNetV2.custom(
            "ShuffleNetV2-narrow", new int[] {1, 2, 1}, new int[] {6, 4, 4, 6, 8}).classes(3).inChannels(2).seed(78)
            .build(), 2, 2, 40, 40),
        of("RegNetBlock SE, identity shortcut", () -> org.autoprop.blocks.RegNetBlock.builder(4, 4).groupWidth(2)
            .seRatio(0.5).seed(79).build(), 2, 4, 4, 3),
        of("RegNetBlock projection, stride 2, bottleneck 0.5", () -> org.autoprop.blocks.RegNetBlock.builder(3, 4)
            .stride(2).groupWidth(1).bottleneck(0.5).seed(80).build(), 2, 3, 5, 4),
        of("RegNet (zoo) widths 4, 6, SE", () -> org.autoprop.zoo.RegNet.custom("RegNet-narrow", new int[] {4, 6},
            new int[] {1, 1}, new int[] {2, 3}).seRatio(0.5).stemWidth(4).classes(3).inChannels(2).seed(81).build(),
            2, 2, 16, 16),
        of("ResNeStBlock radix 2, cardinality 2, stride 2", () -> org.autoprop.blocks.ResNeStBlock.builder(3, 4)
            .stride(2).cardinality(2).baseWidth(32).attentionChannels(4).seed(82).build(), 4, 3, 4, 4),
        of("ResNeStBlock radix 1, identity", () -> org.autoprop.blocks.ResNeStBlock.builder(8, 2).radix(1)
            .attentionChannels(3).seed(83).build(), 4, 8, 3, 3),
        of("ResNetBlock.Bottleneck with timm's SE module", () -> ResNetBlock.bottleneck(4, 2).seModule(3).seed(84)
            .build(), 2, 4, 4, 3),
        of("ResNetBlock.Bottleneck_SK stride 2, groups 2", () -> ResNetBlock.bottleneckSK(3, 2).stride(2).skKernels(1, 3)
            .skReduction(2).groups(2).seed(85).build(), 2, 3, 5, 4),
        of("SKBlock2D stride 2", () -> SKBlock2D.builder(2, 4).kernels(3).stride(2).reduction(2).seed(86).build(),
            2, 2, 5, 5),
        of("MobileNetBlock.InvRes residual",
            () -> org.autoprop.blocks.MobileNetBlock.invRes(3, 3).seed(55).build(), 2, 3, 4, 4),
        of("MobileNetBlock.InvRes expand 3, stride 2",
            () -> org.autoprop.blocks.MobileNetBlock.invRes(2, 3).expand(3).stride(2).seed(56).build(), 2, 2, 5, 5),
        of("MobileNetBlock.InvRes_SE expand 2, residual",
            () -> org.autoprop.blocks.MobileNetBlock.invResSE(4, 4).expand(2).seReduction(2).seed(57).build(),
            2, 4, 3, 3));
  }

  /** in -> enc (self-attention), in -> dec (tanh), cross = MHA(query: dec, key/value: enc). */
  private static LayerGraph crossAttentionGraph() {
    LayerNode in = new LayerNode(new Identity(), "in");
    LayerNode enc = new LayerNode(MultiHeadAttention.builder(4, 2).seed(18).build(), "enc");
    LayerNode dec = new LayerNode(new Tanh(), "dec");
    LayerNode cross = new LayerNode(MultiHeadAttention.builder(4, 2).seed(19).build(), "cross");
    return LayerGraph.builder().edge(in, enc).edge(in, dec).edge(dec, cross).edge(enc, cross)
        .root(in).term(cross).build();
  }

  /** conv -> bn -> relu, plus a skip, summed, then pooled to a vector. */
  private static LayerGraph residualGraph() {
    LayerNode stem = new LayerNode(Conv2D.builder(2, 3).kernel(3).padding(1).seed(13).build(), "stem");
    LayerNode conv = new LayerNode(Conv2D.builder(3, 3).kernel(3).padding(1).seed(14).build(), "conv");
    LayerNode bn = new LayerNode(new BatchNorm2D(3), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "sum");
    LayerNode pool = new LayerNode(new GlobalAvgPool2D(), "pool");
    return LayerGraph.builder().edges(stem, conv, bn, relu, sum).edge(stem, sum).edge(sum, pool)
        .root(stem).term(pool).build();
  }

  /** The public, concrete classes implementing {@link Layer} in the main sources. */
  static Set<String> publicLayerClasses() throws IOException, URISyntaxException {
    Path root = Path.of(Layer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (Stream<Path> files = Files.walk(root)) {
      return files.map(root::relativize).map(Path::toString).filter(f -> f.endsWith(".class"))
          .map(f -> f.substring(0, f.length() - ".class".length()).replace('/', '.').replace('\\', '.'))
          .filter(f -> !f.endsWith("module-info") && !f.endsWith("package-info"))
          .filter(f -> !f.startsWith("org.autoprop.kernel.")) // no layers there, and the vector classes need the module
          .map(LayerCatalog::load)
          .filter(c -> Layer.class.isAssignableFrom(c) && Modifier.isPublic(c.getModifiers())
              && !c.isInterface() && !Modifier.isAbstract(c.getModifiers()))
          .map(Class::getName)
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static Class<?> load(String name) {
    try {
      return Class.forName(name, false, LayerCatalog.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalStateException("cannot load " + name, e);
    }
  }
}
