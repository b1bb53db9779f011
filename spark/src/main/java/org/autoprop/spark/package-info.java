/**
 * Data-parallel training of AutoProp models on Apache Spark: {@link org.autoprop.spark.SparkTrainer}
 * trains any model on a cluster with Spark's own mechanisms (partitioning, caching, broadcast, task
 * results and task retry, {@code treeReduce}), synchronously or by local SGD
 * ({@link org.autoprop.spark.Synchronization}).
 */
package org.autoprop.spark;
