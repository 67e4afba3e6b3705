// The three kinds of model parts a config composes (backbone -> optional neck -> head) and what
// each hands to the next. Parts append nodes to a GraphBuilder; parameters come from paramSpecs.

import type { GraphBuilder } from '../graph.js';
import type { Detector } from '../names.js';
import type { ParamReader } from './params.js';

/** Feature maps one part hands to the next: one per stack (Hourglass-104: two), same shape each. */
export interface Features {
  /** Node names, in stack order. */
  features: string[];
  channels: number;
  /** Down-sampling from the input to these maps. */
  stride: number;
  /** Input sides must be multiples of this. */
  sizeMultiple: number;
  /**
   * Single-stack backbones: their earlier, finer maps (one per down-sampling stage), which a neck
   * may merge back in (the deconv neck's `skips`).
   */
  levels?: { node: string; channels: number; stride: number }[];
  /**
   * Hourglass backbones: per stack, the merged (up1 + up2) output of every hourglass level,
   * deepest first: the official saccade_module's `mergs`, which CornerNet-Saccade's attention
   * heads read.
   */
  ups?: { node: string; channels: number; stride: number }[][];
}

/**
 * `parse` reads and checks the part's fields from config JSON (defaults filled in) and returns a
 * plain JSON-serialisable object: the normalised form stored back into the config. It must be
 * idempotent: parsing its own output gives the same object.
 */
export interface BackbonePart<P> {
  description: string;
  parse(r: ParamReader): P;
  build(b: GraphBuilder, input: string, p: P): Features;
}

export interface NeckPart<P> {
  description: string;
  parse(r: ParamReader): P;
  build(b: GraphBuilder, x: Features, p: P): Features;
}

/** Returns head name -> one node per stack; the names must be the detector's (names.ts). */
export interface HeadPart<P> {
  description: string;
  detector: Detector;
  parse(r: ParamReader): P;
  build(b: GraphBuilder, x: Features, p: P, numClasses: number): Record<string, string[]>;
}
