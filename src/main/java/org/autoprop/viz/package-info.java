/**
 * Pictures of models and training: training curves as SVG, graphs as Graphviz DOT and Mermaid.
 */
package org.autoprop.viz;
