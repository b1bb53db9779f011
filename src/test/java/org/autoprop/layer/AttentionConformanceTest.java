package org.autoprop.layer;

import java.util.ArrayList;
import java.util.List;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Attention against PyTorch's vectors (tools/conformance/attention.py), on both kernel sets. */
class AttentionConformanceTest {
  private static final KernelProvider[] KERNELS = {KernelProvider.scalar(), KernelProvider.vector()};

  private static List<Tensor> inputs(SafeTensors st) {
    List<Tensor> in = new ArrayList<>();
    for (int i = 0; st.names().contains("x" + i); i++) {
      in.add(st.tensor("x" + i));
    }
    return in;
  }

  @ParameterizedTest
  @ValueSource(strings = {"sdpa", "sdpa_heads_additive", "sdpa_causal", "sdpa_bool_mask", "sdpa_key_padding"})
  void scaledDotProductAttentionMatchesPyTorch(String name) {
    SafeTensors st = Conformance.load(name);
    for (KernelProvider kernels : KERNELS) {
      ScaledDotProductAttention layer = KernelProvider.building(kernels, () -> {
        ScaledDotProductAttention.Builder b = ScaledDotProductAttention.builder()
            .causal(Boolean.parseBoolean(st.metadata().getOrDefault("causal", "false")));
        if (st.names().contains("attn_mask")) {
          if ("bool".equals(st.metadata().get("mask_kind"))) {
            b.booleanMask(st.tensor("attn_mask"));
          } else {
            b.additiveMask(st.tensor("attn_mask"));
          }
        }
        return b.build();
      });
      if (st.names().contains("key_padding_mask")) {
        layer.keyPaddingMask(st.tensor("key_padding_mask"));
      }
      check(name + " on " + kernels.description(), st, layer, List.of());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mha_self", "mha_self_masked", "mha_cross", "mha_qkv"})
  void multiHeadAttentionMatchesPyTorch(String name) {
    SafeTensors st = Conformance.load(name);
    int d = Integer.parseInt(st.metadata().get("d_model"));
    int heads = Integer.parseInt(st.metadata().get("heads"));
    for (KernelProvider kernels : KERNELS) {
      MultiHeadAttention layer = KernelProvider.building(kernels, () -> {
        MultiHeadAttention.Builder b = MultiHeadAttention.builder(d, heads)
            .bias(Boolean.parseBoolean(st.metadata().get("bias")))
            .causal(Boolean.parseBoolean(st.metadata().get("causal")));
        if (st.names().contains("attn_mask")) {
          if ("bool".equals(st.metadata().get("mask_kind"))) {
            b.booleanMask(st.tensor("attn_mask"));
          } else {
            b.additiveMask(st.tensor("attn_mask"));
          }
        }
        return b.build();
      });
      if (st.names().contains("key_padding_mask")) {
        layer.keyPaddingMask(st.tensor("key_padding_mask"));
      }
      for (Parameter p : layer.parameters()) {
        p.value().copyFrom(st.tensor(p.name()));
      }
      check(name + " on " + kernels.description(), st, layer, layer.parameters());
    }
  }

  /** Forward, every input gradient and every parameter gradient, within Conformance.TOLERANCE. */
  static void check(String what, SafeTensors st, MultiInputLayer layer, List<Parameter> params) {
    List<Tensor> in = inputs(st);
    layer.zeroGrad();
    Conformance.assertClose(what + ": y", st.tensor("y"), layer.forward(in, true));
    List<Tensor> gx = layer.backwardInputs(st.tensor("gy"));
    for (int i = 0; i < in.size(); i++) {
      Conformance.assertClose(what + ": gx" + i, st.tensor("gx" + i), gx.get(i));
    }
    for (Parameter p : params) {
      Conformance.assertClose(what + ": grad." + p.name(), st.tensor("grad." + p.name()), p.grad());
    }
  }
}
