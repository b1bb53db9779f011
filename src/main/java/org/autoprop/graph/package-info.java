/**
 * The layer graph (AutoProp): {@link org.autoprop.graph.LayerNode}s joined into a
 * {@link org.autoprop.graph.LayerGraph} that validates itself at {@code build()}, runs forward and
 * backward in topological order and merges converging tensors by a
 * {@link org.autoprop.graph.MergeMode}.
 */
package org.autoprop.graph;
