package org.autoprop.spark;

import org.apache.spark.Partitioner;

/** Example {@code i} (its index in the data set) to worker {@code i mod W}: a fixed, balanced deal. */
final class ModuloPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;

  private final int workers;

  ModuloPartitioner(int workers) {
    this.workers = workers;
  }

  @Override
  public int numPartitions() {
    return workers;
  }

  @Override
  public int getPartition(Object key) {
    return (int) Math.floorMod((Long) key, (long) workers);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ModuloPartitioner p && p.workers == workers;
  }

  @Override
  public int hashCode() {
    return workers;
  }
}
