// BindingStore kept in process memory: the default for a single node and for tests.
// Bindings are copied in and out so callers cannot mutate stored state behind its back.
import type { Binding, BindingStore } from './binding.ts';

function copy(b: Binding): Binding {
  return structuredClone(b);
}

export class MemoryBindingStore implements BindingStore {
  private readonly byAor = new Map<string, Binding[]>();

  async get(aor: string): Promise<Binding[]> {
    return (this.byAor.get(aor) ?? []).map(copy);
  }

  async put(aor: string, bindings: Binding[]): Promise<void> {
    if (bindings.length === 0) this.byAor.delete(aor);
    else this.byAor.set(aor, bindings.map(copy));
  }

  async remove(aor: string): Promise<void> {
    this.byAor.delete(aor);
  }

  async list(): Promise<Binding[]> {
    return [...this.byAor.values()].flat().map(copy);
  }

  async purgeExpired(now: number): Promise<number> {
    let n = 0;
    for (const [aor, bs] of this.byAor) {
      const live = bs.filter((b) => b.expiresAt > now);
      n += bs.length - live.length;
      if (live.length === 0) this.byAor.delete(aor);
      else if (live.length !== bs.length) this.byAor.set(aor, live);
    }
    return n;
  }
}
