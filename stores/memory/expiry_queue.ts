/**
 * A binary min-heap of items ordered by a due time. The memory store keeps one entry per
 * instance in it and re-queues lazily: a heartbeat only moves `expiresAt` on the record, and
 * the sweep, finding an entry whose instance was renewed, pushes it back at its new time.
 * So heartbeats cost O(1) and a sweep costs O((expired + renewed since queued) · log n).
 *
 * @module
 */

/** What the queue orders: anything with a mutable due time. */
export interface Queued {
  dueAt: number;
}

export class ExpiryQueue<T extends Queued> {
  #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(item: T): void {
    const heap = this.#heap;
    heap.push(item);
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (heap[parent].dueAt <= item.dueAt) break;
      heap[child] = heap[parent];
      child = parent;
    }
    heap[child] = item;
  }

  /** The earliest item, without removing it. */
  peek(): T | undefined {
    return this.#heap[0];
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const heap = this.#heap;
    const first = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return first;
    let parent = 0;
    for (;;) {
      let child = 2 * parent + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1].dueAt < heap[child].dueAt) child++;
      if (heap[child].dueAt >= last.dueAt) break;
      heap[parent] = heap[child];
      parent = child;
    }
    heap[parent] = last;
    return first;
  }

  clear(): void {
    this.#heap = [];
  }
}
