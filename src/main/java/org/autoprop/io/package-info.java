/**
 * Files: safetensors weights and checkpoints; data sets from IDX files, numpy's {@code .npy} and
 * {@code .npz} ({@link org.autoprop.io.Npy}, {@link org.autoprop.io.Npz}), CSV tables
 * ({@link org.autoprop.io.CsvTable}) and image folders ({@link org.autoprop.io.ImageFolder}).
 *
 * <p>Loading a model's weights: {@link org.autoprop.io.StateDict#loadWeights} reads either a
 * state dict or a {@link org.autoprop.io.Checkpoint} (for a checkpoint,
 * {@code Checkpoint.load(file, model, null)} does the same and also returns its epoch and seed).
 *
 * <p>What is checked when reading, each failure a one-line message naming the file (and the
 * tensor, sample or key): safetensors headers against the format's rules (bounded JSON nesting
 * and size, integer shapes and offsets, byte counts without overflow, tensors contiguous and
 * covering the data exactly); loaded weights are finite and running variances non-negative;
 * checkpoint epochs and steps in range; IDX labels below the class count; {@code .npy} headers
 * parsed strictly (never evaluated) and their shapes checked against the file's length before any
 * allocation, {@code .npz} entries inflated no further than their headers declare; CSV cells by
 * line and column; image sizes from their headers before decoding. Loads change nothing
 * unless every check passes. Writes are atomic ({@link org.autoprop.io.AtomicFiles}), and a save
 * removes the stale temporary files of interrupted saves of the same file.
 */
package org.autoprop.io;
