package org.autoprop.spark;

import java.io.Serializable;

/**
 * Makes a fresh object on each worker (a model, a loss): Spark ships the factory, not the object.
 * A model factory must be deterministic (seeded): every worker and the driver build the same
 * starting weights from it.
 *
 * @param <T> what it makes
 */
@FunctionalInterface
public interface SerializableFactory<T> extends Serializable {
  /** A new instance. */
  T create();
}
