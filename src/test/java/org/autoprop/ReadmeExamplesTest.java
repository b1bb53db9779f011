package org.autoprop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.graph.SequentialNode;
import org.autoprop.io.Idx;
import org.autoprop.io.StateDict;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Identity;
import org.autoprop.layer.ReLU;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Dataset;
import org.autoprop.train.Sgd;
import org.autoprop.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's code, as written there (smaller tensors), so the README never lies. */
class ReadmeExamplesTest {
  @Test
  void quickStart() {
    // 1. A chain: Conv2D -> BatchNorm2D -> ReLU
    LayerNode conv = new LayerNode(new Conv2D(3, 6, 3), "conv");   // 3x3, "same" padding
    LayerNode bn = new LayerNode(new BatchNorm2D(6), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
    edges.put(conv, List.of(bn));
    edges.put(bn, List.of(relu));
    LayerGraph linear = new LayerGraph(edges, conv, relu).build();

    Tensor x = Tensor.uniform(Shape.of(4, 3, 8, 8), -1f, 1f, 42);
    Tensor y = linear.forward(x, true);                 // training mode
    Tensor gx = linear.backward(Tensor.full(y.shape(), 1f));
    assertEquals(Shape.of(4, 6, 6, 6), y.shape());
    assertEquals(x.shape(), gx.shape());
    assertTrue(linear.summary(x.shape()).contains("BatchNorm2D"));

    // 2. A shortcut: conv feeds both relu and term; term sums its two inputs
    LayerNode c = new LayerNode(new Conv2D(3, 6, 3), "conv");
    LayerNode r = new LayerNode(new ReLU(), "relu");
    LayerNode term = new LayerNode(new Identity(), MergeMode.SUM, "term");
    Map<LayerNode, List<LayerNode>> g2 = new LinkedHashMap<>();
    g2.put(c, List.of(r, term));
    g2.put(r, List.of(term));
    LayerGraph shortcut = new LayerGraph(g2, c, term).build();
    assertEquals(Shape.of(4, 6, 6, 6), shortcut.forward(x, true).shape());

    // 3. Three branches joined by channel concatenation (in edge order): [N, 6+12+18, H, W]
    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode cat = new LayerNode(new Identity(), MergeMode.CHCAT, "term");
    LayerNode b1 = new SequentialNode("branch_1", new Conv2D(3, 6, 3), new ReLU());
    LayerNode b2 = new SequentialNode("branch_2", new Conv2D(3, 12, 3), new ReLU());
    LayerNode b3 = new SequentialNode("branch_3", new Conv2D(3, 18, 3), new ReLU());
    Map<LayerNode, List<LayerNode>> g3 = new LinkedHashMap<>();
    g3.put(root, List.of(b1, b2, b3));
    g3.put(b1, List.of(cat));
    g3.put(b2, List.of(cat));
    g3.put(b3, List.of(cat));
    LayerGraph branches = new LayerGraph(g3, root, cat).build();
    assertEquals(Shape.of(4, 36, 6, 6), branches.forward(x, true).shape());

    GradCheck.Report report = GradCheck.forLayer(branches).epsilon(1e-3).check(Tensor.uniform(Shape.of(2, 3, 8, 8), -1f, 1f, 7));
    assertTrue(report.passed(3e-2), report::toString);
  }

  @Test
  void trainingFromJava(@TempDir Path dir) throws Exception {
    Path data = Path.of("data/fashion-mnist-subset");
    LayerGraph model = ReferenceNets.fashionNet(1);
    Dataset train = Idx.load(data.resolve("train-images-idx3-ubyte.gz"), data.resolve("train-labels-idx1-ubyte.gz"),
        Idx.FASHION_MNIST_MEAN, Idx.FASHION_MNIST_STD).subset(0, 256);
    Dataset test = train.subset(0, 64);
    Sgd sgd = new Sgd(model.parameters(), 0.05, 0.9, 0, 5e-4, false);
    new Trainer(model, new CrossEntropyLoss(), sgd).batchSize(128).epochs(1).progress(null, false).fit(train, test);
    StateDict.save(model, dir.resolve("fmnist.safetensors"));   // PyTorch's names and layouts
    assertTrue(Files.size(dir.resolve("fmnist.safetensors")) > 300_000);
  }
}
