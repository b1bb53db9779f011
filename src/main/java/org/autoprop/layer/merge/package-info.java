/**
 * Merges: how the tensors that meet at a graph node are combined into one, and the gradient split
 * back. {@link org.autoprop.layer.merge.Merge} runs a merge and owns its buffers; each mode is one
 * {@link org.autoprop.layer.merge.MergeRule} subclass holding its shape rule, FLOPs, forward and
 * backward. The graph names the modes by {@code graph.MergeMode}. Uses only {@code kernel} and
 * {@code tensor}.
 */
package org.autoprop.layer.merge;
