/**
 * A sleep that stop() can cut short: the worker's loops (file shipping, the semi-sync record) wait
 * between rounds with it, so that SIGTERM does not wait out an interval.
 */
export function wakeableSleep() {
  let wake = () => {};
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake(),
  };
}
