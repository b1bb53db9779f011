package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autoprop.layer.GradCheck;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The test fixture's own backward pass, so tests that train with it stand on checked ground. */
class DenseFixtureTest {
  @Test
  void backwardMatchesFiniteDifferences() {
    DenseFixture d = new DenseFixture("fc", 5, 3, 4);
    GradCheck.Report r = GradCheck.forLayer(d).training(false).check(Tensor.uniform(Shape.of(4, 5), -1f, 1f, 9));
    assertTrue(r.passed(1e-2), r::toString);
  }
}
