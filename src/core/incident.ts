// Incidents: what the product raises. Pure data; the life-cycle logic lives in src/inspect/incidents.ts.

export type HotspotType = 'trend' | 'sustained-high' | 'spike' | 'level-shift' | 'backpressure';

export type IncidentState = 'open' | 'acknowledged' | 'resolved';

export interface Incident {
  id: string;
  machine: string;
  state: IncidentState;
  type: HotspotType;
  onset: number;
  /** Time of the last anomalous point seen. */
  lastSeen: number;
  resolvedAt?: number;
  peak: number;
  segments: number;
}
