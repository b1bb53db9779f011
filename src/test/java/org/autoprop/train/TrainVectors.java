package org.autoprop.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.autoprop.io.SafeTensors;

/** The PyTorch vectors of src/test/resources/train (written by make_vectors.py there). */
final class TrainVectors {
  private TrainVectors() {}

  static SafeTensors load(String name) {
    Path p = Paths.get("src/test/resources/train", name + ".safetensors");
    try {
      return SafeTensors.read(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
