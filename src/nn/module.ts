// Module: a named tree of parameters (nanoGPT-style), with train/eval mode and flat state for model files.
import { Tensor } from '../tensor/index.js';

export abstract class Module {
  training = true;

  /** Direct parameters and sub-modules, discovered from own fields. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, v] of Object.entries(this)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (v instanceof Tensor && v.requiresGrad) out.push([name, v]);
      else if (v instanceof Module) out.push(...v.namedParameters(name));
      else if (Array.isArray(v)) v.forEach((m, i) => m instanceof Module && out.push(...m.namedParameters(`${name}.${i}`)));
    }
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }
  train(on = true): this {
    this.training = on;
    for (const v of Object.values(this)) {
      if (v instanceof Module) v.train(on);
      else if (Array.isArray(v)) v.forEach((m) => m instanceof Module && m.train(on));
    }
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
  /** Parameter values by name (copies), for model files. */
  stateDict(): Record<string, { shape: number[]; data: Float32Array }> {
    return Object.fromEntries(this.namedParameters().map(([n, p]) => [n, { shape: [...p.shape], data: new Float32Array(p.values()) }]));
  }
  /** Loads values saved by stateDict(); names and shapes must match exactly. */
  loadStateDict(state: Record<string, { shape: number[]; data: Float32Array }>): void {
    const own = this.namedParameters();
    const missing = own.filter(([n]) => !(n in state)).map(([n]) => n);
    const extra = Object.keys(state).filter((n) => !own.some(([m]) => m === n));
    if (missing.length || extra.length) {
      throw new Error(`model weights do not match the architecture: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
    }
    for (const [n, p] of own) {
      const s = state[n];
      if (s.shape.length !== p.shape.length || s.shape.some((d, i) => d !== p.shape[i]) || s.data.length !== p.size) {
        throw new Error(`weight '${n}' has shape (${s.shape.join(', ')}), the model expects (${p.shape.join(', ')})`);
      }
      p.data.set(s.data, p.offset);
    }
  }
}
