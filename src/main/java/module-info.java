/**
 * AutoProp for Java: a pure-Java neural-network engine. Layer graphs run forward and backward by
 * themselves over hand-vectorized kernels.
 *
 * <p>The exported packages are the API. The kernels ({@code org.autoprop.kernel} and its Vector API
 * implementation {@code org.autoprop.kernel.vector}) are not exported: the layers reach them from
 * inside the module. The module does not require {@code jdk.incubator.vector}: when that module is
 * in the boot layer ({@code --add-modules jdk.incubator.vector}), the kernel provider adds the read
 * edge and loads the vector implementation by name; otherwise the scalar kernels run.
 */
module org.autoprop {
  requires java.management;
  requires java.desktop; // javax.imageio, for io.ImageFolder

  exports org.autoprop.tensor;
  exports org.autoprop.layer;
  exports org.autoprop.layer.merge;
  exports org.autoprop.graph;
  exports org.autoprop.models;
  exports org.autoprop.blocks;
  exports org.autoprop.zoo;
  exports org.autoprop.train;
  exports org.autoprop.io;
  exports org.autoprop.viz;
  exports org.autoprop.cli;
}
