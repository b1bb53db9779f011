/**
 * Files: safetensors weights and checkpoints, IDX data sets.
 *
 * <p>Loading a model's weights: {@link org.autoprop.io.StateDict#loadWeights} reads either a
 * state dict or a {@link org.autoprop.io.Checkpoint} (for a checkpoint,
 * {@code Checkpoint.load(file, model, null)} does the same and also returns its epoch and seed).
 *
 * <p>What is checked when reading, each failure a one-line message naming the file (and the
 * tensor, sample or key): safetensors headers against the format's rules (bounded JSON nesting
 * and size, integer shapes and offsets, byte counts without overflow, tensors contiguous and
 * covering the data exactly); loaded weights are finite and running variances non-negative;
 * checkpoint epochs and steps in range; IDX labels below the class count. Loads change nothing
 * unless every check passes. Writes are atomic ({@link org.autoprop.io.AtomicFiles}), and a save
 * removes the stale temporary files of interrupted saves of the same file.
 */
package org.autoprop.io;
