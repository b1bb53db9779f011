/**
 * The command-line entry point: the project's main job.
 */
package org.autoprop.cli;
