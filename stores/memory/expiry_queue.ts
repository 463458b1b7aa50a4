/**
 * A binary min-heap of items ordered by a due time, each item knowing its position so it can
 * be removed or swapped for another in place.
 *
 * The memory store keeps one entry per instance and re-queues lazily: a heartbeat moves the
 * instance's expiry (or puts a new value in the old one's place, with the same due time), and
 * the sweep, finding an entry whose instance has been renewed since, moves it down to its new
 * expiry. So heartbeats cost O(1), a deregistration O(log n) (its entry leaves at once, so memory follows what is
 * registered), and a sweep O((expired + renewed since queued) · log n).
 *
 * @module
 */

/** What the queue orders: a mutable due time, and the position the queue keeps up to date. */
export interface Queued {
  dueAt: number;
  /** Index in the heap, or -1 when not queued. */
  queuePosition: number;
}

export class ExpiryQueue<T extends Queued> {
  #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(item: T): void {
    this.#heap.push(item);
    this.#up(this.#heap.length - 1, item);
  }

  /** The earliest item, without removing it. */
  peek(): T | undefined {
    return this.#heap[0];
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const first = this.#heap[0];
    if (first !== undefined) this.remove(first);
    return first;
  }

  /** Removes `item`, wherever it is; a no-op when it is not queued. */
  remove(item: T): void {
    const position = item.queuePosition;
    if (position < 0 || this.#heap[position] !== item) return;
    item.queuePosition = -1;
    const last = this.#heap.pop()!;
    if (last === item) return;
    this.#heap[position] = last;
    last.queuePosition = position;
    this.#reposition(position, last);
  }

  /** Puts `replacement` where `item` is, with `item`'s due time. */
  replace(item: T, replacement: T): void {
    const position = item.queuePosition;
    if (position < 0 || this.#heap[position] !== item) return;
    item.queuePosition = -1;
    replacement.dueAt = item.dueAt;
    replacement.queuePosition = position;
    this.#heap[position] = replacement;
  }

  /** Moves a queued `item` to a new due time. */
  reschedule(item: T, dueAt: number): void {
    item.dueAt = dueAt;
    if (item.queuePosition >= 0) this.#reposition(item.queuePosition, item);
  }

  clear(): void {
    for (const item of this.#heap) item.queuePosition = -1;
    this.#heap = [];
  }

  #reposition(position: number, item: T): void {
    if (position > 0 && this.#heap[(position - 1) >> 1].dueAt > item.dueAt) this.#up(position, item);
    else this.#down(position, item);
  }

  #up(position: number, item: T): void {
    const heap = this.#heap;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (heap[parent].dueAt <= item.dueAt) break;
      heap[position] = heap[parent];
      heap[position].queuePosition = position;
      position = parent;
    }
    heap[position] = item;
    item.queuePosition = position;
  }

  #down(position: number, item: T): void {
    const heap = this.#heap;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1].dueAt < heap[child].dueAt) child++;
      if (heap[child].dueAt >= item.dueAt) break;
      heap[position] = heap[child];
      heap[position].queuePosition = position;
      position = child;
    }
    heap[position] = item;
    item.queuePosition = position;
  }
}
