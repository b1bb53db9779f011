/**
 * Training: losses ({@link org.autoprop.train.CrossEntropyLoss}, {@link org.autoprop.train.NllLoss},
 * {@link org.autoprop.train.MseLoss}, {@link org.autoprop.train.BceWithLogitsLoss},
 * {@link org.autoprop.train.BceLoss}, {@link org.autoprop.train.HingeEmbeddingLoss},
 * {@link org.autoprop.train.MultiMarginLoss}, {@link org.autoprop.train.HuberLoss},
 * {@link org.autoprop.train.SmoothL1Loss}, {@link org.autoprop.train.KlDivLoss},
 * {@link org.autoprop.train.SigmoidFocalLoss}, and the two-input
 * {@link org.autoprop.train.CosineEmbeddingLoss}), optimizers with
 * PyTorch's update rules ({@link org.autoprop.train.Sgd}, {@link org.autoprop.train.Adam},
 * {@link org.autoprop.train.AdamW}, {@link org.autoprop.train.RmsProp}, {@link org.autoprop.train.AdaGrad},
 * {@link org.autoprop.train.AdaDelta}, {@link org.autoprop.train.AdaMax}, {@link org.autoprop.train.NAdam},
 * {@link org.autoprop.train.RAdam}, {@link org.autoprop.train.Lion}, {@link org.autoprop.train.Lamb}; by name
 * through {@link org.autoprop.train.Optimizers}) over {@link org.autoprop.train.ParamGroups}, an
 * exponential moving average of the weights ({@link org.autoprop.train.ModelEma}), learning-rate schedules
 * ({@link org.autoprop.train.LrSchedule}, {@link org.autoprop.train.ReduceLrOnPlateau}, by Luma's
 * names through {@link org.autoprop.train.Schedulers}),
 * gradient clipping, in-memory data sets with reusable mini-batches, metrics and the
 * {@link org.autoprop.train.Trainer} loop (with gradient accumulation).
 */
package org.autoprop.train;
