// Run a piece of async work one at a time: a call while it runs asks for one more run after
// it, however many calls arrive, and every caller waits for the run that covers its call.
// The pages use it to read the case again after a change without piling reads up.

export function oneAtATime(work, after = () => {}) {
  let running = null;
  return function run() {
    if (running) {
      running.again = true;
      return running.done;
    }
    running = { again: false };
    running.done = (async () => {
      try {
        do {
          running.again = false;
          await work();
        } while (running.again);
      } finally {
        running = null;
      }
      after();
    })();
    return running.done;
  };
}
