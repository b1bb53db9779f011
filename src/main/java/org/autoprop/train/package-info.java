/**
 * Training: losses ({@link org.autoprop.train.CrossEntropyLoss}, {@link org.autoprop.train.NllLoss},
 * {@link org.autoprop.train.MseLoss}, {@link org.autoprop.train.BceWithLogitsLoss},
 * {@link org.autoprop.train.BceLoss}, {@link org.autoprop.train.HingeEmbeddingLoss},
 * {@link org.autoprop.train.MultiMarginLoss}, {@link org.autoprop.train.HuberLoss},
 * {@link org.autoprop.train.SmoothL1Loss}, {@link org.autoprop.train.KlDivLoss},
 * {@link org.autoprop.train.SigmoidFocalLoss}, and the two-input
 * {@link org.autoprop.train.CosineEmbeddingLoss}), optimizers with
 * PyTorch's update rules ({@link org.autoprop.train.Sgd}, {@link org.autoprop.train.Adam},
 * {@link org.autoprop.train.AdamW}, {@link org.autoprop.train.RmsProp}), learning-rate schedules
 * ({@link org.autoprop.train.LrSchedule}, {@link org.autoprop.train.ReduceLrOnPlateau}, by Luma's
 * names through {@link org.autoprop.train.Schedulers}),
 * gradient clipping, in-memory data sets with reusable mini-batches, metrics and the
 * {@link org.autoprop.train.Trainer} loop.
 */
package org.autoprop.train;
