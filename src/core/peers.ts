// Peers of a machine: the TaskManagers that run subtasks of the same job at the same time. A Flink hotspot is one
// TaskManager diverging from them (skew, a bad host); a rate burst, a deploy or the daily peak moves them together.
// Detectors with a peer view read groups of indices into the list of machines they score (docs/ccl.md "peer view").

/** Groups of indices into a list of machines; a machine's peers are the other members of its groups. */
export type PeerGroups = number[][];

/**
 * One group per job run by ≥ 2 of the machines (from the placement the collectors store). A machine whose placement
 * is unknown has the whole list as its group — and so does everyone when no placement is known at all. A machine
 * whose jobs run nowhere else has no peers.
 */
export function peerGroups(names: readonly string[], jobsOf: (machine: string) => readonly string[] | undefined): PeerGroups {
  const byJob = new Map<string, number[]>();
  let unplaced = false;
  names.forEach((m, i) => {
    const jobs = jobsOf(m);
    if (!jobs || jobs.length === 0) unplaced = true;
    for (const j of new Set(jobs ?? [])) (byJob.get(j) ?? byJob.set(j, []).get(j)!).push(i);
  });
  const groups = [...byJob.values()].filter((g) => g.length >= 2);
  if (unplaced && names.length >= 2) groups.push(names.map((_, i) => i));
  return groups;
}

/** The peers of each of n machines (indices, sorted, itself excluded). */
export function peersOf(n: number, groups: PeerGroups): number[][] {
  const out = Array.from({ length: n }, () => new Set<number>());
  for (const g of groups) for (const i of g) for (const j of g) if (i !== j) out[i].add(j);
  return out.map((s) => [...s].sort((a, b) => a - b));
}
