/**
 * The core-speed probe's fixed amount of work, run in a process of its own pinned to one core
 * (`probe.ts` starts it): objects, strings and a Map, the kind of work a hub's JavaScript does.
 * Prints the milliseconds it took. The same work every time, so that the time tells how fast the
 * core ran just then: on this machine kind the same code takes up to ~1.6x as long in some
 * phases (a virtual CPU whose host is busy; the guest sees no steal time), and every server's
 * figures move with it.
 */
const ROUNDS = 24;
const KEYS = 20_000;

function work(): number {
  let checksum = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const byKey = new Map<string, { id: string; value: number }>();
    for (let index = 0; index < KEYS; index++) {
      const entry = { id: `k${index}`, value: index * 31 };
      byKey.set(entry.id, entry);
    }
    for (const [key, entry] of byKey) checksum += entry.value + key.length;
  }
  return checksum;
}

// One round unmeasured first: the measured ones then run optimised code, as a running server does.
work();
const started = performance.now();
const checksum = work();
const milliseconds = performance.now() - started;
// The checksum is printed so that the work cannot be optimised away.
console.log(JSON.stringify({ milliseconds, checksum }));
