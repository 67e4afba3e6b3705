// What the importer of official PyTorch checkpoints knows about one published model family
// (../shared/contract/official/README.md): how to recognise its state dict, how to read the
// architecture (every width, the class count) from the tensor shapes, and how its keys map onto
// the parameter names of the anchorless graph built from that config (runtime/model/graph.ts
// paramSpecs). One module per family under ./families/, listed in ./families/index.ts.
//
// The importer core (./import.ts) does the rest for every family alike: strips the `module.`
// prefix, skips `num_batches_tracked`, applies the (2, 3, 1, 0) transpose to 4-D tensors
// (Conv2d [out, in/g, kh, kw] -> HWIO [kh, kw, in/g, out]; ConvTranspose2d [in, out/g, kh, kw]
// -> [kh, kw, out/g, in]), checks every shape against paramSpecs, and checks that each tensor is
// used exactly once and every parameter is filled.

import type { ModelConfig } from '../model/config.js';

/** Shapes of a state dict after the `module.` prefix is stripped, in file order. */
export type ShapeMap = ReadonlyMap<string, readonly number[]>;

export interface OfficialFamily {
  /** The family's name as in MANIFEST.json: `centernet-hg`, `centernet-resdcn`, `cornernet-lite`, ... */
  name: string;
  /** The published checkpoints this family covers, for messages and the README. */
  published: string;
  /** True when the (prefix-stripped) keys are this family's: a signature of keys only it has. */
  matches(keys: ShapeMap): boolean;
  /**
   * The anchorless model config of the checkpoint, every width and the class count read from the
   * shapes (so narrower variants import too); Errors name the key whose shape is unexpected.
   * The official decode settings and input size of the family; COCO labels for 80 classes.
   */
  config(keys: ShapeMap, source: string): ModelConfig;
  /**
   * The anchorless parameter name of an official key (prefix stripped), or null for a key that
   * is deliberately not imported (unused at test time: earlier stacks' heads are imported, but
   * e.g. DLA's `base.fc.*` or a tree's unused `project` are not). `num_batches_tracked` never
   * reaches this. An official key that maps to nothing and is not skipped is an import Error:
   * undefined (a key the family does not know), or a name that is not a parameter of the graph.
   */
  rename(key: string): string | null | undefined;
}
