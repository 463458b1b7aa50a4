/**
 * The watch section's load, in a process of its own (pinned to the load CPU): thousands of
 * long-polls and event streams on raw keep-alive sockets, then registers timed from the
 * request leaving to each watcher's answer arriving.
 *
 * Names are `w-0` .. `w-<LONG_POLLS - 1>`, one long-poll each; stream `i` watches `w-<i>` alone
 * (`GET /v1/events?name=w-i`), so the first STREAMS names have one of each. Registers cycle over
 * REGISTERED_NAMES of those, spread evenly; each wakes exactly one long-poll and one stream.
 *
 * Usage: bun scripts/bench/watch_client.ts PORT LONG_POLLS STREAMS REGISTERS REGISTERED_NAMES
 *
 * It writes `PHASE <name>` on stdout and waits for a line on stdin before going on (the parent
 * reads the server's memory in between): `before` (names read once, no watcher open),
 * `long-polls` (all held), `streams` (all open too). It ends with `RESULT <json>`.
 *
 * @module
 */

import { writeSync } from "node:fs";
import type { Socket } from "node:net";
import { getRequest, headerOf, openSocket, postRequest, ResponseReader } from "./responses.ts";

const [port, longPollCount, streamCount, registerCount, registeredNames] = process.argv.slice(2).map(Number);
if (!(port > 0 && longPollCount > 0 && streamCount > 0 && streamCount <= longPollCount && registerCount > 0 &&
  registeredNames > 0 && registeredNames <= streamCount)) {
  console.error("watch_client: usage: bun scripts/bench/watch_client.ts PORT LONG_POLLS STREAMS REGISTERS REGISTERED_NAMES");
  process.exit(2);
}

/** Connections opened at once: well under the kernel's accept backlog. */
const OPEN_BATCH = 250;
const ANSWER_DEADLINE_MS = 10_000;
const REGISTER_EVENT = "event: register\n";
const SNAPSHOT_EVENT = "event: snapshot\n";

const name = (index: number) => `w-${index}`;
let finished = false;

function fail(message: string): never {
  console.error(`watch_client: ${message}`);
  process.exit(1);
}

/** A watcher's socket must stay open for the whole run; the server closing one is a failure. */
function guard(socket: Socket, what: string): void {
  socket.on("error", (error) => fail(`${what}: ${error.message}`));
  socket.on("close", () => finished || fail(`${what}: the server closed the connection`));
}

let linesRead = 0;
let onLine: (() => void) | undefined;
process.stdin.on("data", (chunk: Buffer) => {
  for (const byte of chunk) if (byte === 10) linesRead++;
  onLine?.();
});

async function phase(label: string): Promise<void> {
  const awaited = linesRead + 1;
  // Straight to the descriptor: a piped console.log may be held back.
  writeSync(1, `PHASE ${label}\n`);
  await new Promise<void>((resolve) => {
    onLine = () => linesRead >= awaited && resolve();
    onLine();
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** GETs every name once without `?index`, pipelined on 4 sockets: warms the routes up and reads each name's index. */
async function readIndexes(count: number): Promise<number[]> {
  const indexes: number[] = [];
  let next = 0;
  const worker = async () => {
    const socket = await openSocket(port);
    await new Promise<void>((resolve, reject) => {
      let batch: number[] = [];
      let answered = 0;
      const send = () => {
        batch = [];
        answered = 0;
        while (batch.length < 256 && next < count) batch.push(next++);
        if (batch.length === 0) return resolve();
        socket.write(batch.map((index) => getRequest(`/v1/services/${name(index)}`)).join(""));
      };
      const reader = new ResponseReader((response) => {
        if (response.status !== 200) return reject(new Error(`GET ${name(batch[answered])}: ${response.status} ${response.body}`));
        indexes[batch[answered]] = Number(headerOf(response.head, "x-srsr-index"));
        if (++answered === batch.length) send();
      });
      socket.on("data", (chunk: Buffer) => reader.feed(chunk));
      socket.on("error", reject);
      send();
    });
    socket.destroy();
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return indexes;
}

/** Opens `count` connections, `OPEN_BATCH` at a time, and hands each to `start`. */
async function openMany<T>(count: number, start: (index: number, socket: Socket) => Promise<T>): Promise<T[]> {
  const opened: T[] = [];
  for (let first = 0; first < count; first += OPEN_BATCH) {
    const batch = Array.from({ length: Math.min(OPEN_BATCH, count - first) }, (_, offset) => first + offset);
    opened.push(...await Promise.all(batch.map(async (index) => start(index, await openSocket(port)))));
  }
  return opened;
}

interface LongPoll {
  index: number;
  /** Set while a register's answer is awaited on this name. */
  answered?: (at: number) => void;
}

let earlyAnswers = 0;

/** One long-poll per name, at the name's index; each is re-armed at the new index as soon as it answers. */
function openLongPolls(indexes: number[]): Promise<LongPoll[]> {
  return openMany(indexes.length, async (index, socket) => {
    const poll: LongPoll = { index: indexes[index] };
    const arm = () => socket.write(getRequest(`/v1/services/${name(index)}?index=${poll.index}&wait=10m`));
    const reader = new ResponseReader((response) => {
      const at = performance.now();
      if (response.status !== 200) fail(`long-poll on ${name(index)}: ${response.status} ${response.body}`);
      poll.index = Number(headerOf(response.head, "x-srsr-index"));
      const answered = poll.answered;
      poll.answered = undefined;
      if (answered) answered(at);
      else earlyAnswers++;
      arm();
    });
    socket.on("data", (chunk: Buffer) => reader.feed(chunk));
    guard(socket, `long-poll on ${name(index)}`);
    arm();
    return poll;
  });
}

interface Stream {
  /** Set while a register's event is awaited on this name. */
  registered?: (at: number) => void;
}

let unexpectedEvents = 0;

/** One event stream per name for the first `count` names; resolves once each has had its snapshot. */
function openStreams(count: number): Promise<Stream[]> {
  return openMany(count, (index, socket) =>
    new Promise<Stream>((resolve) => {
      const stream: Stream = {};
      // The last characters of what came before, in case an event name straddles two reads.
      let tail = "";
      let headChecked = false;
      socket.on("data", (chunk: Buffer) => {
        const at = performance.now();
        const text = tail + chunk.toString("latin1");
        if (!headChecked) {
          if (!text.startsWith("HTTP/1.1 200")) fail(`GET /v1/events?name=${name(index)}: ${text.slice(0, 300)}`);
          headChecked = true;
        }
        if (text.includes(SNAPSHOT_EVENT)) resolve(stream);
        for (let found = text.indexOf(REGISTER_EVENT); found !== -1; found = text.indexOf(REGISTER_EVENT, found + 1)) {
          const registered = stream.registered;
          stream.registered = undefined;
          if (registered) registered(at);
          else unexpectedEvents++;
        }
        tail = text.slice(-(REGISTER_EVENT.length - 1));
      });
      guard(socket, `event stream on ${name(index)}`);
      socket.write(getRequest(`/v1/events?name=${name(index)}`));
    }));
}

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return { p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1] };
}

/** Registers one at a time, each timed to its own answer, its long-poll's and its stream's. */
async function registerAll(polls: LongPoll[], streams: Stream[]) {
  const socket = await openSocket(port);
  let answered: ((at: number) => void) | undefined;
  const reader = new ResponseReader((response) => {
    const at = performance.now();
    if (response.status !== 201) fail(`register: ${response.status} ${response.body}`);
    answered?.(at);
  });
  socket.on("data", (chunk: Buffer) => reader.feed(chunk));
  guard(socket, "the register connection");
  const stride = Math.floor(streams.length / registeredNames);
  const latencies = { register: [] as number[], longPoll: [] as number[], stream: [] as number[] };
  for (let count = 0; count < registerCount; count++) {
    const index = (count % registeredNames) * stride;
    const arrival = (wait: (resolve: (at: number) => void) => void) => new Promise<number>(wait);
    const arrivals = Promise.all([
      arrival((resolve) => (answered = resolve)),
      arrival((resolve) => (polls[index].answered = resolve)),
      arrival((resolve) => (streams[index].registered = resolve)),
    ]);
    const started = performance.now();
    const body = `{"address":"10.0.${(count >> 8) & 255}.${count & 255}:8080"}`;
    socket.write(postRequest(`/v1/services/${name(index)}/instances`, body));
    const [registered, polled, streamed] = await within(arrivals, ANSWER_DEADLINE_MS, `register ${count} on ${name(index)}`);
    latencies.register.push(registered - started);
    latencies.longPoll.push(polled - started);
    latencies.stream.push(streamed - started);
  }
  finished = true;
  socket.destroy();
  return latencies;
}

async function main(): Promise<void> {
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    return [await work(), (performance.now() - started) / 1000];
  };
  const [indexes] = await timed(() => readIndexes(longPollCount));
  await phase("before");
  const [polls, longPollsOpenSeconds] = await timed(() => openLongPolls(indexes));
  await phase("long-polls");
  const [streams, streamsOpenSeconds] = await timed(() => openStreams(streamCount));
  await phase("streams");
  const [latencies, registersSeconds] = await timed(() => registerAll(polls, streams));
  const result = {
    longPollsOpenSeconds,
    streamsOpenSeconds,
    registersSeconds,
    register: percentiles(latencies.register),
    longPoll: percentiles(latencies.longPoll),
    stream: percentiles(latencies.stream),
    earlyAnswers,
    unexpectedEvents,
  };
  writeSync(1, `RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error) => fail((error as Error).message));
