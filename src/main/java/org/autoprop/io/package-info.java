/**
 * Files: safetensors weights and checkpoints, IDX data sets.
 */
package org.autoprop.io;
