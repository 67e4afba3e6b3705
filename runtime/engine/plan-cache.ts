// Execution plans by input size, least recently used first out. A plan owns its packed weights
// and activations, so each extra size costs a model's worth of kernel memory: the detector keeps
// a small number (its own size plus one more by default) and releases a plan before building the
// next, so no more than `capacity` are ever alive at once.
import type { ExecutionPlan } from './plan.js';

export class PlanCache {
  /** Key "HxW" -> plan, in use order (the first entry is the least recently used). */
  private readonly plans = new Map<string, ExecutionPlan>();

  constructor(
    private readonly build: (height: number, width: number) => ExecutionPlan,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`PlanCache: capacity must be a positive integer, got ${String(capacity)}`);
  }

  /** The plan for a height x width input, built (and the least recently used one released) when missing. */
  get(height: number, width: number): ExecutionPlan {
    const key = `${height}x${width}`;
    const hit = this.plans.get(key);
    if (hit) {
      this.plans.delete(key);
      this.plans.set(key, hit);
      return hit;
    }
    while (this.plans.size >= this.capacity) {
      const [oldest, plan] = this.plans.entries().next().value as [string, ExecutionPlan];
      this.plans.delete(oldest);
      plan.release();
    }
    const plan = this.build(height, width);
    this.plans.set(key, plan);
    return plan;
  }

  /** Holds an already built plan (the first one, built by the caller to report its errors its own way). */
  add(height: number, width: number, plan: ExecutionPlan): void {
    const key = `${height}x${width}`;
    if (this.plans.has(key) || this.plans.size >= this.capacity) throw new Error(`PlanCache: no room for a ${key} plan`);
    this.plans.set(key, plan);
  }

  /** Input sizes held, least recently used first. */
  sizes(): [number, number][] {
    return [...this.plans.keys()].map((k) => k.split('x').map(Number) as [number, number]);
  }

  clear(): void {
    for (const plan of this.plans.values()) plan.release();
    this.plans.clear();
  }
}
