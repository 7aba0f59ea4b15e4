/**
 * Median CPU time of this process over three calls of `fn`, in milliseconds: other work on the
 * machine does not count, so linear-time checks hold on a loaded box.
 */
export function cpuMs(fn: () => unknown): number {
  const runs = [0, 1, 2].map(() => {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  });
  return runs.sort((a, b) => a - b)[1]!;
}
