/**
 * Scenarios: short stories about the car, each a file in sim/scenarios/, that double as living
 * documentation and as whole-system tests. A scenario drives a simulated car (sim/car.ts) and
 * states what must happen; running one prints a timeline and fails on the first broken promise.
 *
 *   npm run sim -- run guest-key-expires
 */
import { type CarOptions, type SimCar, createCar } from './car';
import { type BoardMemory, firmwareShare } from './engine/board';
import { describeEntry } from '../tools/host/names';
import { keyNamer } from './vehicle';

export interface Story {
  car: SimCar;
  /** Every car of the story: `car` first, then one per `Scenario.others`, on the same engine. */
  cars: SimCar[];
  /** Adds a line to the timeline. */
  say(text: string): void;
  /** A promise the car must keep; a broken one ends the scenario with a failure. */
  expect(ok: boolean, what: string): void;
  /** Advances simulated time, saying so. */
  wait(ms: number, why?: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  options: CarOptions;
  /** More cars in the same story (a fleet), made with these options after the first. */
  others?: CarOptions[];
  body: (s: Story) => void;
}

export function scenario(name: string, title: string, options: CarOptions, body: (s: Story) => void, others?: CarOptions[]): Scenario {
  return { name, title, options, body, others };
}

export interface Outcome {
  name: string;
  ok: boolean;
  timeline: string[];
  failure?: string;
  engine: 'vm' | 'espruino';
  /** The real interpreter's process.memory() at the end, with the peak seen (engine 'espruino' only). */
  memory?: BoardMemory;
}

class Broken extends Error {}

/** The real interpreter's memory, with the firmware's share beside the board's budget, on the timeline. */
function memoryOf(car: SimCar, timeline: string[]): BoardMemory | undefined {
  const m = car.board.dead ? undefined : car.board.memory();
  if (!m) return undefined;
  const f = firmwareShare(m);
  const budget = m.total - m.prelude - m.ballast;
  const of = budget === car.config.variables ? `of the board's ${budget}` : `of ${budget} (the board has ${car.config.variables})`;
  timeline.push(`memory (variables): the firmware ${f.usage} now, peak ${f.peak} (garbage included) ${of}; ` +
    `interpreter ${m.usage}/${m.total} with the simulator's prelude ${m.prelude} and ballast ${m.ballast}` +
    (m.noRoom ? `; ${m.noRoom} native result(s) found no contiguous memory (the firmware retries each after E.defrag())` : ''));
  return m;
}

function stamp(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${pad(Math.floor(ms) % 1000, 3)}`;
}

/**
 * Runs a scenario on a fresh car; `engine` 'espruino' runs the bundle in the real interpreter,
 * there with `variables` instead of the board's budget when given.
 */
export async function runScenario(sc: Scenario, engine: 'vm' | 'espruino' = 'vm', variables?: number, memoryProbe?: string): Promise<Outcome> {
  const cars: SimCar[] = [];
  try {
    cars.push(await createCar({ ...sc.options, engine, variables, memoryProbe }));
    for (const o of sc.others || []) cars.push(await createCar({ ...o, engine, variables }));
    return runStory(sc, cars);
  } finally {
    for (const c of cars) c.board.close();
  }
}

function runStory(sc: Scenario, cars: SimCar[]): Outcome {
  const car = cars[0];
  const engine = car.board.engine;
  const timeline: string[] = [];
  const at = () => stamp(car.board.clock.now());
  let logged = car.auditLog().length;
  const keyName = keyNamer(car);
  const flushLog = () => {
    const all = car.auditLog();
    for (const e of all.slice(logged)) timeline.push(`${at()}     log #${e.seq}: ${describeEntry(e, keyName)}`);
    logged = all.length;
  };
  const story: Story = {
    car, cars,
    say: (text) => { flushLog(); timeline.push(`${at()}  ${text}`); },
    expect: (ok, what) => {
      flushLog();
      timeline.push(`${at()}  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
      if (!ok) throw new Broken(what);
    },
    wait: (ms, why) => { car.advance(ms); timeline.push(`${at()}  ... ${ms >= 60000 ? ms / 60000 + ' min' : ms + ' ms'} later${why ? ' (' + why + ')' : ''}`); },
  };
  timeline.push(`${sc.title} [${car.config.id}${engine === 'espruino' ? ', real Espruino interpreter' : ''}]`);
  try {
    sc.body(story);
    flushLog();
    for (const c of cars) if (c.board.uncaught.length) throw new Broken('uncaught errors on the board: ' + c.board.uncaught.join('; '));
    const memory = memoryOf(car, timeline);
    return { name: sc.name, ok: true, timeline, engine, memory };
  } catch (e) {
    const failure = e instanceof Broken ? e.message : String((e as Error).stack || e);
    if (!(e instanceof Broken)) timeline.push(`${at()}  FAIL ${failure}`);
    return { name: sc.name, ok: false, timeline, failure, engine, memory: memoryOf(car, timeline) };
  }
}
