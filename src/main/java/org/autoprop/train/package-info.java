/**
 * Training: losses ({@link org.autoprop.train.CrossEntropyLoss}, {@link org.autoprop.train.NllLoss},
 * {@link org.autoprop.train.MseLoss}, {@link org.autoprop.train.BceWithLogitsLoss}), optimizers with
 * PyTorch's update rules ({@link org.autoprop.train.Sgd}, {@link org.autoprop.train.Adam},
 * {@link org.autoprop.train.AdamW}, {@link org.autoprop.train.RmsProp}), learning-rate schedules,
 * gradient clipping, in-memory data sets with reusable mini-batches, metrics and the
 * {@link org.autoprop.train.Trainer} loop.
 */
package org.autoprop.train;
