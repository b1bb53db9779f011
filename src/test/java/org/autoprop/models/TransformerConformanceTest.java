package org.autoprop.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.Layer;
import org.autoprop.layer.LayerNorm;
import org.autoprop.layer.MultiInputLayer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The transformer blocks against PyTorch's nn.TransformerEncoderLayer, nn.TransformerDecoderLayer
 * and nn.TransformerEncoder (tools/conformance/attention.py): PyTorch's parameters load strictly
 * by name through StateDict.load, then forward, input and every parameter gradient match.
 */
class TransformerConformanceTest {
  private static final KernelProvider[] KERNELS = {KernelProvider.scalar(), KernelProvider.vector()};

  @TempDir
  Path dir;

  static PositionwiseFeedForward.Activation activation(SafeTensors st) {
    return "gelu".equals(st.metadata().get("activation")) ? PositionwiseFeedForward.Activation.GELU
        : PositionwiseFeedForward.Activation.RELU;
  }

  static Encoder encoder(SafeTensors st, long seed) {
    return Encoder.builder(Integer.parseInt(st.metadata().get("d_model")), Integer.parseInt(st.metadata().get("heads")))
        .dimFeedforward(Integer.parseInt(st.metadata().get("dim_feedforward"))).dropout(0)
        .normFirst(Boolean.parseBoolean(st.metadata().get("norm_first"))).activation(activation(st)).seed(seed).build();
  }

  /** Writes the parameters of the file (its names without grad.) to a state dict and loads it strictly. */
  void loadStrictly(Layer model, SafeTensors st) throws IOException {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      weights.put(p.name(), st.tensor(p.name()));
    }
    // Every parameter of the file is a parameter of the model: strict in both directions.
    for (String name : st.names()) {
      if (st.names().contains("grad." + name) && !weights.containsKey(name)) {
        throw new AssertionError("PyTorch parameter " + name + " has no counterpart in " + model);
      }
    }
    Path f = Files.createTempFile(dir, "weights", ".safetensors");
    SafeTensors.write(f, weights, Map.of());
    StateDict.load(model, f);
  }

  static void check(String what, SafeTensors st, Layer model, List<Tensor> in, Tensor y, List<Tensor> gx) {
    Conformance.assertClose(what + ": y", st.tensor("y"), y);
    for (int i = 0; i < gx.size(); i++) {
      Conformance.assertClose(what + ": gx" + i, st.tensor("gx" + i), gx.get(i));
    }
    for (Parameter p : model.parameters()) {
      Conformance.assertClose(what + ": grad." + p.name(), st.tensor("grad." + p.name()), p.grad());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"encoder_post", "encoder_pre"})
  void encoderLayerMatchesPyTorch(String name) throws IOException {
    SafeTensors st = Conformance.load(name);
    for (KernelProvider kernels : KERNELS) {
      Encoder e = KernelProvider.building(kernels, () -> encoder(st, 1));
      loadStrictly(e, st);
      Tensor x = st.tensor("x0");
      Tensor y = e.forward(x, true);
      Tensor gx = e.backward(st.tensor("gy"));
      check(name + " on " + kernels.description(), st, e, List.of(x), y, List.of(gx));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"encoder_stack"})
  void encoderStackMatchesPyTorch(String name) throws IOException {
    SafeTensors st = Conformance.load(name);
    for (KernelProvider kernels : KERNELS) {
      EncoderStack s = KernelProvider.building(kernels, () -> EncoderStack.of(
          Integer.parseInt(st.metadata().get("layers")), i -> encoder(st, i), new LayerNorm(8)));
      loadStrictly(s, st);
      Tensor x = st.tensor("x0");
      Tensor y = s.forward(x, true);
      Tensor gx = s.backward(st.tensor("gy"));
      check(name + " on " + kernels.description(), st, s, List.of(x), y, List.of(gx));
    }
  }

  static Decoder decoder(SafeTensors st, long seed) {
    return Decoder.builder(Integer.parseInt(st.metadata().get("d_model")), Integer.parseInt(st.metadata().get("heads")))
        .dimFeedforward(Integer.parseInt(st.metadata().get("dim_feedforward"))).dropout(0)
        .normFirst(Boolean.parseBoolean(st.metadata().get("norm_first"))).activation(activation(st)).seed(seed).build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"decoder", "decoder_pre", "decoder_stack"})
  void decoderMatchesPyTorch(String name) throws IOException {
    SafeTensors st = Conformance.load(name);
    for (KernelProvider kernels : KERNELS) {
      MultiInputLayer d = KernelProvider.building(kernels, () -> name.endsWith("stack")
          ? DecoderStack.of(Integer.parseInt(st.metadata().get("layers")), i -> decoder(st, i), new LayerNorm(8))
          : decoder(st, 1));
      loadStrictly(d, st);
      List<Tensor> in = List.of(st.tensor("x0"), st.tensor("x1"));
      Tensor y = d.forward(in, true);
      List<Tensor> gx = d.backwardInputs(st.tensor("gy"));
      check(name + " on " + kernels.description(), st, d, in, y, gx);
    }
  }
}
