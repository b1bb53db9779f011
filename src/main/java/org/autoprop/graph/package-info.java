/**
 * Graphs of layers: {@link org.autoprop.graph.LayerGraph} (a DAG of
 * {@link org.autoprop.graph.LayerNode}s from a root to a term) runs forward and backward by itself,
 * combining the tensors that meet at a node by a {@link org.autoprop.graph.MergeMode} and summing
 * the gradients at fan-out. {@code build()} validates the whole graph and fixes the execution
 * order; shape inference runs before any arithmetic. A graph is a layer, so graphs nest.
 */
package org.autoprop.graph;
