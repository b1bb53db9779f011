/**
 * Ready-made graphs: the three examples of Luma's AutoProp README and the reference networks of
 * the benchmark workloads.
 */
package org.autoprop.models;
