/**
 * JMH benchmarks of the canonical workloads ({@code shared/bench/WORKLOADS.md}): one class per
 * workload family, workload ids in the method names, 1 thread and all cores as the
 * {@code threads} parameter, a scalar twin of each vector benchmark, and a correctness check in
 * each trial set-up. Not part of the library.
 */
package org.autoprop.bench;
