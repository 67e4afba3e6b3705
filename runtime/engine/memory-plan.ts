// Activation memory planning for an execution plan: assigns every node output to a reusable slot
// by liveness, so peak memory stays near the largest set of simultaneously live activations.
// Pure bookkeeping (no wasm): the plan allocates one heap buffer per slot, once, at build time.

export interface PlannedValue {
  /** Name of the value (a graph node's output). */
  name: string;
  /** Size in f32 elements. */
  size: number;
  /** Values read by the step that produces this one. */
  inputs: string[];
  /** May the output share the slot of its first input when that input dies here (element-wise ops)? */
  inPlace?: boolean;
}

export interface MemoryPlan {
  /** Slot index of every value. */
  slotOf: Map<string, number>;
  /** Capacity of every slot, f32 elements. */
  slotSizes: number[];
  /** Largest sum of live value sizes at any step (the lower bound any plan can reach). */
  peakLive: number;
}

/**
 * Values are produced in the given order; a value stays live until the last step that reads it,
 * or forever if it is in `keep` (the graph outputs). Best-fit reuse of dead slots; a slot too
 * small is grown rather than opening a new one when no free slot fits, keeping the slot count low.
 */
export function planMemory(values: PlannedValue[], keep: Iterable<string>, externalInputs: Iterable<string> = []): MemoryPlan {
  const produced = new Set<string>(externalInputs);
  const lastUse = new Map<string, number>();
  values.forEach((v, step) => {
    for (const input of v.inputs) {
      if (!produced.has(input)) throw new Error(`memory plan: ${v.name} reads ${input} before it is produced`);
      lastUse.set(input, step);
    }
    if (produced.has(v.name)) throw new Error(`memory plan: ${v.name} is produced twice`);
    produced.add(v.name);
  });
  for (const name of keep) lastUse.set(name, Infinity);

  const slotOf = new Map<string, number>();
  const slotSizes: number[] = [];
  const free = new Set<number>();
  let live = 0;
  let peakLive = 0;
  const sizeOf = new Map(values.map((v) => [v.name, v.size]));

  values.forEach((v, step) => {
    const dying = v.inputs.filter((input, i) => v.inputs.indexOf(input) === i && lastUse.get(input) === step && slotOf.has(input));
    let slot: number | undefined;
    const first = v.inputs[0];
    if (v.inPlace && first !== undefined && dying.includes(first) && slotSizes[slotOf.get(first)!] >= v.size) {
      slot = slotOf.get(first)!; // overwrite the dying first input
    } else {
      slot = bestFit(free, slotSizes, v.size);
      if (slot === undefined) {
        slot = slotSizes.length;
        slotSizes.push(v.size);
      } else {
        free.delete(slot);
        slotSizes[slot] = Math.max(slotSizes[slot], v.size);
      }
    }
    slotOf.set(v.name, slot);
    live += v.size;
    peakLive = Math.max(peakLive, live);
    for (const input of dying) {
      live -= sizeOf.get(input) ?? 0;
      const s = slotOf.get(input)!;
      if (s !== slot) free.add(s);
    }
    if (lastUse.get(v.name) === undefined) {
      // produced but never read and not an output: its slot is free right away
      live -= v.size;
      free.add(slot);
    }
  });
  return { slotOf, slotSizes, peakLive };
}

/** The smallest free slot that holds `size`, else the largest free slot (to be grown), else none. */
function bestFit(free: Set<number>, sizes: number[], size: number): number | undefined {
  let fit: number | undefined;
  let largest: number | undefined;
  for (const s of free) {
    if (sizes[s] >= size && (fit === undefined || sizes[s] < sizes[fit])) fit = s;
    if (largest === undefined || sizes[s] > sizes[largest]) largest = s;
  }
  return fit ?? largest;
}
