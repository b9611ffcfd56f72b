// CCL — cross-contrastive learning for Flink anomaly detection ("Noise Matters", VLDB 2025; see docs/ccl.md for
// the readings implemented here and why). Two formulations behind one detector:
//   'published' (published.ts): shared encoder over the window and 7-point sub-windows, cross discrepancy vs a
//               softmax boundary, score = softmax over the window of the discrepancy;
//   'variant'   (below, model.ts): our earlier reading of the paper's summary. Loss: L = L_cc + λ · L_b, with
//   L_cc  cross-view InfoNCE, positives (g_t, l_{t+1}) and (l_t, g_{t+1}), negatives from injected Flink anomalies,
//   L_b   boundary loss max(‖x̂_t − x_t‖ − b_t, 0) with b_t from robust statistics of the raw window.
// Score: α · z(1 − cos(g_{t−1}, l_t)) + (1 − α) · z(‖x̂_t − x_t‖) (α = 0 by default, see docs/ccl.md), each part standardised by its median / IQR on the
// training data so the two are commensurate. Every part can be switched off for ablations.
// Peer view (`peers`, docs/ccl.md): the network also reads, per timestamp, the machine's deviation from its peers at
// that timestamp (x_t − mean of the peers' x_t); the residual of that view is contrasted with the machine's own.
import { Rng, Tensor, alloc, matmul, mul, add, mean, noGrad, zeros, slice } from '../../tensor/index.js';
import { Module } from '../../nn/index.js';
import type { FitOptions, DetectorState } from '../detector.js';
import type { PreparedInput } from '../input.js';
import type { Scratch } from '../scratch.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { applyRobustScale } from '../robust.js';
import { DeepDetector, deepParamSpec, type DeepParams } from '../deep/template.js';
import { gatherWindows, windowStarts } from '../deep/windows.js';
import { CCLNet } from './model.js';
import { PublishedCCLNet, crossDiscrepancy, discrepancyBoundaryLoss, discrepancyScore, softmaxBoundary } from './published.js';
import { concatF32 } from '../../core/stats.js';
import { applyInjection, drawInjection } from './inject.js';
import { anomalyBoundary, boundaryPrior } from './boundary.js';
import { buildMemory, knnDistance } from './memory.js';
import { boundaryLoss, crossContrastiveLoss, residual, viewDisagreement } from './losses.js';
import { fitSkew, skewScores, type SkewKind, type SkewNorm } from './skew.js';
import { costScores, fitCost, type CostKind, type CostLevel, type CostNorm } from './cost.js';
import { RATIO_ROWS } from './ratio.js';
import { applyCoMove, deviations, fitCoMoveModel, rowRms, type CoMove } from './comove.js';

export interface CCLParams extends DeepParams {
  formulation: 'published' | 'variant';
  hop: number;
  d: number;
  heads: number;
  layers: number;
  ffn: number;
  dropout: number;
  patchSizes: number[];
  band: number;
  tau: number;
  negatives: number;
  lambda: number;
  bMin: number;
  beta: number;
  bLevel: number;
  scoreBoundary: boolean;
  alpha: number;
  crossContrast: boolean;
  memoryWeight: number;
  memorySize: number;
  memoryK: number;
  boundary: boolean;
  views: 'both' | 'global' | 'local';
  peers: 'none' | 'both' | 'only';
  peerScore: 'min' | 'mean' | 'max';
  peerSmooth: number;
  skew: 'none' | SkewKind;
  cost: 'none' | CostKind;
  costLevel: CostLevel;
  coMove: 'off' | 'mean' | 'spread';
}

export const cclParamSpec: ParamSpec<CCLParams> = {
  ...deepParamSpec,
  formulation: { default: 'variant', choices: ['published', 'variant'], doc: "'variant': injected negatives + boundary-aware residual (the default: ahead on every development check, docs/ccl.md); 'published': the authors' released formulation" },
  hop: { default: 3, min: 1, integer: true, doc: 'published: half-length of the local view\'s centred sub-window (2·hop + 1 points)' },
  d: { default: 32, min: 4, integer: true, doc: 'model width' },
  heads: { default: 4, min: 1, integer: true, doc: 'attention heads (must divide d)' },
  layers: { default: 1, min: 1, integer: true, doc: 'encoder layers per view' },
  ffn: { default: 64, min: 1, integer: true, doc: 'feed-forward width' },
  dropout: { default: 0.1, min: 0, max: 0.9, doc: 'dropout in the encoder layers' },
  patchSizes: { default: [4, 8], doc: 'patch sizes of the global view (each must divide window)' },
  band: { default: 3, min: 1, integer: true, doc: 'half-width w of the local view band (|i − j| ≤ w, i ≠ j)' },
  tau: { default: 0.2, min: 0.01, doc: 'InfoNCE temperature' },
  negatives: { default: 8, min: 1, integer: true, doc: 'injected-anomaly negatives per window' },
  lambda: { default: 1, min: 0, doc: 'weight λ of the boundary loss' },
  bMin: { default: 0.1, min: 0, doc: 'boundary of a clearly normal timestamp (scaled units)' },
  beta: { default: 2, min: 0, doc: 'extra boundary width of a suspected anomaly' },
  bLevel: { default: 1, min: 0, doc: 'variant: level term of the boundary prior — a value more than bLevel IQRs from the training median counts as suspect even where its whole window is (contamination that lasts longer than a window; 0: off; chosen on the development seeds, boundary.ts, docs/ccl.md)' },
  scoreBoundary: { default: false, doc: "variant: the residual part of the score is ‖x̂_t − x_t‖ / b_t, as the design note's score (b_t from the window's own prior, without the level term: an isolated outlier in a normal window counts less, a sustained shift does not)" },
  alpha: { default: 0, min: 0, max: 1, doc: 'weight of the cross-view disagreement in the score (0: on the development instance the disagreement carried no signal, see docs/ccl.md)' },
  crossContrast: { default: true, doc: 'ablation switch: the cross-contrastive loss' },
  memoryWeight: { default: 0, min: 0, max: 1, doc: 'variant: weight of the distance to a memory of normal training representations in the score (docs/ccl.md)' },
  memorySize: { default: 2048, min: 1, integer: true, doc: 'variant: representations kept in that memory' },
  memoryK: { default: 5, min: 1, integer: true, doc: 'variant: the k of the k-th-nearest-memory distance' },
  boundary: { default: true, doc: 'ablation switch: boundary loss (false = plain reconstruction loss)' },
  views: { default: 'both', choices: ['both', 'global', 'local'], doc: 'ablation switch: which views exist' },
  peers: { default: 'both', choices: ['none', 'both', 'only'], doc: "variant: the peer view — 'both' (the default since stop 27: more precise incidents at the same recall on flink-lab and the demo cluster, docs/ccl.md \"The default becomes the peer view\"): the machine's own metrics and its deviation from its peers at the same timestamps; 'only': the deviation alone; 'none': no peer view. A model fitted without any peers (one series, machines sharing no job) is the machine-alone one; scored where its peers are unknown, 'both' scores the machine's own residual" },
  peerScore: { default: 'min', choices: ['min', 'mean', 'max'], doc: "variant, peers 'both': how the standardised own and peer residuals combine into the score ('min': anomalous only when the machine's own history AND its peers both say so)" },
  peerSmooth: { default: 1, min: 1, integer: true, doc: "variant, peers 'both': the peer part is the larger of the standardised peer residual at t and of its mean over the last peerSmooth positions (causal, inside the window; standardised on its own training spread) — a divergence from the peers that lasts accumulates, a step is still seen at once (1: off; docs/ccl.md)" },
  coMove: { default: 'off', choices: ['off', 'mean', 'spread'], doc: "variant (not the default: it lowers F1 and the real data sets' affiliation F1, docs/ccl.md): the residual part of the score leaves out what the other channels' steps at the same timestamp explain — 'mean': the deviation they predict (a GC pause with the heap's drop); 'spread': that, and what is left is measured against the spread those steps allow (a GC pause's size varies); 'off': neither (comove.ts, docs/ccl.md)" },
  skew: { default: 'busy', choices: ['none', 'records', 'busy'], doc: "variant: the skew part — the score is the larger of the network's part and a machine's load above its peers' (log ratio, standardised on training; src/detectors/ccl/skew.ts, docs/ccl.md): 'busy' (the default since stop 36: two more hot UDFs found at the recorder's split of flink-lab, nothing else changed, docs/ccl.md \"The skew part reads busy time\"): its record rates or its busy time; 'records': its record rates only; 'none': the network's part alone" },
  cost: { default: 'busy', choices: ['none', 'busy', 'cpu'], doc: "variant: the cost part — the score is also at least a machine's busy time ('busy', the default since stop 53: docs/ccl.md \"The default gains the cost part\"), or busy time and CPU load ('cpu'), per record read above its training level (log ratio to records_in, standardised and gated on training; rows starved of records have none; src/detectors/ccl/cost.ts, docs/ccl.md \"Our extension: a cost part\"); its evidence is the machine's own metrics, so a series scored alone has it too; 'none': no cost part (the default until stop 53)" },
  costLevel: { default: 'machine', choices: ['pool', 'machine'], doc: "variant, with a cost part: where a machine's cost per record is measured from — 'machine' (the default since stop 53): each machine's own training level (fitted on a cluster; a machine without one has no cost part; a series fitted alone is its own level); 'pool': one level for every machine of the training pool (docs/ccl.md \"A cost per record\")" },
};

export class CCLDetector extends DeepDetector<CCLParams> {
  readonly kind = 'ccl';
  readonly version = 2;
  /** median / IQR of the two score parts on training windows. */
  private norm = { cosMed: 0, cosIqr: 1, recMed: 0, recIqr: 1, memMed: 0, memIqr: 1, peerMed: 0, peerIqr: 1, peerSmMed: 0, peerSmIqr: 1 };
  /** (M, d) representations of probably-normal training timestamps (empty unless memoryWeight > 0). */
  private memory: Float32Array = new Float32Array(0);
  /** The skew part's normalisation (null: no skew part — off, no record-rate channel, or fitted without peers). */
  private skewNorm: SkewNorm | null = null;
  /** The cost part's normalisation (null: no cost part — off, or no records_in or cost channel). */
  private costNorm: CostNorm | null = null;
  /** The co-movement correction of the residual (null: off or not fitted). */
  private coMove: CoMove | null = null;
  /** Fitted without any peer context (one series, or machines that share no job): the peer view had nothing to learn,
   *  so the model is the machine-alone one — no deviation network to train, score or store. */
  private alone = false;
  /** The peer residual's smoothing the standardisation was fitted with: peerSmooth, or 1 for a model saved before it
   *  existed (its norm has no spread of the smoothed residual). */
  private smooth = 1;

  constructor(params: Partial<CCLParams> = {}) {
    super(cclParamSpec, 'ccl', params);
  }

  override get peerAware(): boolean {
    // the skew part reads peers where it exists: before a fit (it learns from them) and once fitted with one;
    const skew = this.params.skew !== 'none' && (!this.isFitted || this.skewNorm !== null);
    // so does the cost part, for the machine's share of its peers' records (its starved rows)
    const cost = this.params.cost !== 'none' && (!this.isFitted || this.costNorm?.shares !== undefined);
    return this.params.formulation === 'variant' && (this.peerMode !== 'none' || skew || cost);
  }

  /** What the fit had, whatever the parameters say: without peers no peer view and no skew part; without records_in or
   *  busy time no cost part; one series one cost level. */
  override get fittedAs(): Record<string, unknown> {
    if (!this.isFitted || this.params.formulation !== 'variant') return {};
    return {
      ...(this.alone ? { peers: 'none' } : {}),
      ...(this.params.skew !== 'none' && this.skewNorm === null ? { skew: 'none' } : {}),
      ...(this.params.cost !== 'none' && this.costNorm === null ? { cost: 'none' } : {}),
      // one series (or one machine) has one level: a per-machine fit needs a cluster
      ...(this.params.costLevel === 'machine' && this.costNorm !== null && !this.costNorm.levels ? { costLevel: 'pool' } : {}),
    };
  }

  /** The peer view in effect: the parameter's, unless the model was fitted without peers (then 'none'). */
  private get peerMode(): CCLParams['peers'] {
    return this.params.formulation === 'variant' && !this.alone ? this.params.peers : 'none';
  }

  /** Without the peer view the network reads no peers: a trailing score reads them only in the skew part — its
   *  record-rate channels, over its smoothing rows — and in the cost part's starved rows: its share channels, over its
   *  smoothing rows and those of the shares they read. */
  protected override get trailingPeerNeed(): { channels?: number[]; rowsBefore?: number } {
    const shares = this.costNorm?.shares;
    if (this.peerMode !== 'none' || (!this.skewNorm && !shares)) return {};
    const channels = [...new Set([...(this.skewNorm?.channels ?? []), ...(shares?.channels ?? [])])];
    return { channels, rowsBefore: shares ? 2 * (RATIO_ROWS - 1) : RATIO_ROWS - 1 };
  }

  /** The network's scores with the skew part (skew.ts) and the cost part (cost.ts) of each of the last `last` rows:
   *  the largest of the three. */
  private withParts(x: PreparedInput, s: Float32Array, last = s.length): Float32Array {
    const from = x.T - last;
    const parts = [
      ...(this.skewNorm && x.peer ? [skewScores(x, this.skewNorm, from)] : []),
      ...(this.costNorm ? [costScores(x, this.costNorm, from)] : []),
    ];
    for (const k of parts) for (let j = 0; j < last; j++) s[j] = Math.max(s[j], k[from + j]);
    return s;
  }
  protected override scoreCore(x: PreparedInput): Float32Array {
    return this.withParts(x, super.scoreCore(x));
  }
  protected override scoreManyCore(xs: PreparedInput[]): Float32Array[] {
    return super.scoreManyCore(xs).map((s, i) => this.withParts(xs[i], s));
  }
  protected override scoreTrailingCore(xs: PreparedInput[], last: number[]): Float32Array[] {
    return super.scoreTrailingCore(xs, last).map((s, i) => this.withParts(xs[i], s, last[i]));
  }

  /** Peer view: (T, C) own values → (T, 2C) [x, x − peers] ('both') or (T, C) [x − peers] ('only'); the deviation is 0
   *  where the peers are unknown (what a fit without peers learns, and scoring then uses the own residual alone). */
  protected override modelInput(x: PreparedInput, into?: Scratch): { values: Float32Array; C: number } {
    const mode = this.peerMode;
    if (mode === 'none') return { values: x.values, C: x.C };
    const C = x.C;
    const W = mode === 'both' ? 2 * C : C;
    const off = mode === 'both' ? C : 0;
    const out = into ? into.take(x.T * W).fill(0) : new Float32Array(x.T * W);
    const p0 = x.peerFrom ?? 0; // x.peer holds rows p0…
    for (let t = 0; t < x.T; t++) {
      if (mode === 'both') out.set(x.values.subarray(t * C, t * C + C), t * W);
      const known = x.peer !== undefined && t >= p0 && !Number.isNaN(x.peer[(t - p0) * C]);
      if (known) for (let c = 0; c < C; c++) out[t * W + off + c] = x.values[t * C + c] - x.peer![(t - p0) * C + c];
    }
    return { values: out, C: W };
  }

  /** The network of the machine's own metrics ('none', 'both') or of its deviation from its peers ('only'). */
  private get net(): CCLNet {
    return this.model instanceof PeerPair ? this.model.own : (this.model as CCLNet);
  }
  /** With peers 'both': the network of the deviation from the peers (its own encoder: what the machine shares with
   *  its peers cannot leak into it through the machine's own metrics). */
  private get peerNet(): CCLNet | null {
    return this.model instanceof PeerPair ? this.model.peer : null;
  }
  private get published(): PublishedCCLNet {
    return this.model as PublishedCCLNet;
  }

  protected buildModel(C: number, rng: Rng): Module {
    const p = this.params;
    if (p.formulation === 'published') return new PublishedCCLNet({ C, d: p.d, heads: p.heads, layers: p.layers, ffn: p.ffn, dropout: p.dropout, hop: p.hop, views: p.views }, rng);
    const net = (c: number): CCLNet => new CCLNet({ C: c, L: p.window, d: p.d, heads: p.heads, layers: p.layers, ffn: p.ffn, dropout: p.dropout, patchSizes: p.patchSizes, band: p.band, views: p.views }, rng);
    return this.peerMode === 'both' ? new PeerPair(net(C / 2), net(C / 2)) : net(C);
  }

  /** The training loss of a batch (B, L, C). */
  protected lossOf(batch: Tensor, rng: Rng): Tensor {
    const p = this.params;
    const [B, L, C] = batch.shape;
    if (p.formulation === 'published') {
      const d = crossDiscrepancy(this.published.forward(batch)); // (B, L)
      const b = p.boundary ? softmaxBoundary(batch.values(), B, L, C) : zeros([B, L]); // no boundary: pull all together
      return discrepancyBoundaryLoss(d, b);
    }
    const peer = this.peerNet;
    if (!peer) return this.variantLoss(this.net, batch, rng);
    // peers 'both': the same objective for the machine's own metrics and for its deviation from its peers
    const [own, dev] = splitChannels(batch, C / 2);
    return add(this.variantLoss(this.net, own, rng), this.variantLoss(peer, dev, rng));
  }

  /** L_cc + λ · L_b of one network on its windows (B, L, C). */
  private variantLoss(net: CCLNet, batch: Tensor, rng: Rng): Tensor {
    const p = this.params;
    const [B, L, C] = batch.shape;
    const { g, l, xhat } = net.forward(batch);
    const terms: Tensor[] = [];
    if (p.crossContrast) {
      const { injected, select } = injectNegatives(batch, p.negatives, rng);
      const neg = matmul(select, net.local(injected)); // (B, K, d)
      terms.push(crossContrastiveLoss(g, l, neg, p.tau));
    }
    const r = residual(xhat, batch); // (B, L)
    if (p.boundary) terms.push(mul(boundaryLoss(r, anomalyBoundary(batch.values(), B, L, C, p.bMin, p.beta, p.bLevel > 0 ? p.bLevel : Infinity)), p.lambda));
    else terms.push(mul(mean(r), p.lambda));
    return terms.reduce((a, b) => add(a, b));
  }

  /** Per-timestamp score parts of a batch — of its last `tail` positions only when given (CCLNet.forwardTail) — and
   *  the representations e_t = g_t + l_t (B·K, d), K = tail ?? L. With peers 'both', rec is the residual of the
   *  machine's own channels and peer that of its deviation from the peers. */
  private parts(batch: Tensor, need: { cos: boolean; e: boolean; d?: boolean }, tail?: number): { cos: Float32Array | null; rec: Float32Array; peer: Float32Array | null; peerSm: Float32Array | null; e: Float32Array | null; dev: { d: Float32Array; dx: Float32Array } | null } {
    const pn = this.peerNet;
    const [own, dev] = pn ? splitChannels(batch, batch.shape[2] / 2) : [batch, null];
    const L = batch.shape[1];
    const run = (net: CCLNet, x: Tensor, k = tail): { g: Tensor; l: Tensor; xhat: Tensor; x: Tensor } =>
      k === undefined ? { ...net.forward(x), x } : { ...net.forwardTail(x, k), x: slice(x, 1, L - k, L) };
    const { g, l, xhat, x } = run(this.net, own);
    let peer: Float32Array | null = null;
    let peerSm: Float32Array | null = null;
    if (pn) {
      // the smoothed residual at the tail needs the peerSmooth − 1 positions before it too
      const W = this.smooth;
      const kp = tail === undefined ? undefined : Math.min(L, tail + W - 1);
      const q = run(pn, dev!, kp);
      const r = residual(q.xhat, q.x).values(); // (B · (kp ?? L))
      peer = kp === undefined || kp === tail ? r : causalMean(r, kp, 1, tail!); // w = 1: the last `tail` as they are
      if (W > 1) peerSm = causalMean(r, kp ?? L, W, tail ?? L);
    }
    let rec: Float32Array; // (B · K)
    let devs: { d: Float32Array; dx: Float32Array } | null = null;
    if (this.coMove || need.d) {
      const [B, , C] = own.shape;
      const dv = deviations(own.values(), xhat.values(), B, L, x.shape[1], C); // (B·K, C) each
      // the caller (the fit) keeps the raw deviations; scoring corrects them in place
      const e = need.d ? dv.d.slice() : dv.d;
      if (this.coMove) applyCoMove(this.coMove, e, dv.dx);
      rec = rowRms(e, C);
      if (need.d) devs = dv;
    } else {
      rec = residual(xhat, x).values();
    }
    if (this.params.scoreBoundary && this.params.boundary) {
      const [B, , C] = own.shape;
      const K = rec.length / B;
      const b = anomalyBoundary(own.values(), B, L, C, this.params.bMin, this.params.beta).values(); // (B, L)
      for (let i = 0; i < B; i++) for (let j = 0; j < K; j++) rec[i * K + j] /= b[i * L + L - K + j];
    }
    return {
      cos: need.cos ? viewDisagreement(g, l).values() : null,
      rec,
      peer,
      peerSm,
      e: need.e ? (g === l ? g : add(g, l)).values() : null,
      dev: devs,
    };
  }

  protected scoreBatch(batch: Tensor, peerKnown?: boolean[]): Float32Array {
    if (this.params.formulation === 'published') return discrepancyScore(crossDiscrepancy(this.published.forward(batch))).values();
    return this.variantScore(batch, peerKnown);
  }

  /** The online loop's case: only each window's end, through forwardTail (the disagreement needs t − 1 too). */
  protected override scoreWindowEnds(batch: Tensor, peerKnown?: boolean[]): Float32Array {
    if (this.params.formulation === 'published') return super.scoreWindowEnds(batch, peerKnown);
    const k = this.params.views === 'both' && this.params.alpha > 0 ? 2 : 1;
    const s = this.variantScore(batch, peerKnown, k); // (B · k)
    return k === 1 ? s : Float32Array.from({ length: batch.shape[0] }, (_, b) => s[b * k + k - 1]);
  }

  /** The variant's score of every position of a batch (B, L, C) → (B · L), or of its last `tail` → (B · tail). */
  private variantScore(batch: Tensor, peerKnown?: boolean[], tail?: number): Float32Array {
    const a = this.params.views === 'both' ? this.params.alpha : 0;
    const w = this.memory.length ? this.params.memoryWeight : 0;
    // only the parts the score uses (α = 0, no memory: the residual alone)
    const { cos, rec, peer, peerSm, e } = this.parts(batch, { cos: a > 0, e: w > 0 }, tail);
    const mem = w > 0 ? knnDistance(e!, this.memory, this.params.d, this.params.memoryK) : null;
    const n = this.norm;
    const K = tail ?? batch.shape[1];
    const combine = this.params.peerScore;
    const out = new Float32Array(rec.length);
    for (let i = 0; i < out.length; i++) {
      let r = (rec[i] - n.recMed) / n.recIqr;
      // the peer view speaks only where the peers were known (else the machine's own residual alone)
      if (peer && (peerKnown?.[Math.floor(i / K)] ?? false)) {
        // with peerSmooth > 1: the larger of the residual at t and its mean over the last peerSmooth positions
        const q = peerSm ? Math.max((peer[i] - n.peerMed) / n.peerIqr, (peerSm[i] - n.peerSmMed) / n.peerSmIqr) : (peer[i] - n.peerMed) / n.peerIqr;
        r = combine === 'min' ? Math.min(r, q) : combine === 'max' ? Math.max(r, q) : 0.5 * (r + q);
      }
      const local = (cos ? a * ((cos[i] - n.cosMed) / n.cosIqr) : 0) + (1 - a) * r;
      out[i] = mem ? (1 - w) * local + w * ((mem[i] - n.memMed) / n.memIqr) : local;
    }
    return out;
  }

  protected override async fitCore(x: PreparedInput, opts: FitOptions): Promise<void> {
    // before the network is built: a history without any known peer row trains the machine-alone model
    this.alone = this.params.peers !== 'none' && !(x.peer?.some((v) => !Number.isNaN(v)) ?? false);
    this.smooth = this.params.peerSmooth;
    await super.fitCore(x, opts);
    this.skewNorm = null;
    this.costNorm = null;
    if (this.params.formulation === 'published') return;
    if (this.params.skew !== 'none') this.skewNorm = fitSkew(x, this.params.skew);
    if (this.params.cost !== 'none') this.costNorm = fitCost(x, this.params.cost, this.params.costLevel);
    // standardisation of the two score parts, on (a sample of) training windows only
    const L = this.params.window;
    const C = this.C;
    const xs = applyRobustScale(this.modelInput(x).values, C, this.scale_!);
    // windows spread over the whole (pooled) history, not only its start
    const all = windowStarts(x.T, L, Math.max(L / 2, 1));
    const starts = all.length <= 256 ? all : Array.from({ length: 256 }, (_, i) => all[Math.floor((i * all.length) / 256)]);
    const cos: number[] = [];
    const rec: number[] = [];
    const peer: number[] = [];
    const peerSm: number[] = [];
    const reps: Float32Array[] = [];
    const priors: Float32Array[] = [];
    const devs: Float32Array[] = [];
    const steps: Float32Array[] = [];
    this.coMove = null;
    const wantD = this.params.coMove !== 'off';
    noGrad(() => {
      for (let i = 0; i < starts.length; i += this.params.batchSize) {
        const st = starts.slice(i, i + this.params.batchSize);
        const raw = gatherWindows(xs, C, L, st);
        const pr = this.parts(new Tensor(raw, [st.length, L, C]), { cos: true, e: true, d: wantD });
        if (pr.dev) { devs.push(pr.dev.d); steps.push(pr.dev.dx); }
        cos.push(...pr.cos!);
        rec.push(...pr.rec);
        if (pr.peer) peer.push(...pr.peer);
        // the smoothed residual's spread from positions with a full peerSmooth behind them (as scored: window ends)
        if (pr.peerSm) for (let j = 0; j < pr.peerSm.length; j++) if (j % L >= this.smooth - 1) peerSm.push(pr.peerSm[j]);
        reps.push(pr.e!);
        priors.push(boundaryPrior(raw, st.length, L, C));
      }
    });
    // the memory of normal representations: training timestamps the boundary prior does not suspect
    this.memory = new Float32Array(0);
    const mem: number[] = [];
    if (this.params.memoryWeight > 0) {
      const allReps = concatF32(reps);
      const allPrior = concatF32(priors);
      this.memory = buildMemory(allReps, this.params.d, (i) => allPrior[i] < 0.2, this.params.memorySize, new Rng(this.params.seed + 17));
      // its own spread, for standardising: distances of a sample of training timestamps (leave-in; k ≥ 2 avoids zeros)
      const sample = buildMemory(allReps, this.params.d, () => true, 2048, new Rng(this.params.seed + 19));
      mem.push(...knnDistance(sample, this.memory, this.params.d, this.params.memoryK));
    }
    const mi = (v: number[]): [number, number] => {
      v.sort((a, b) => a - b);
      const q = (f: number): number => v[Math.min(v.length - 1, Math.floor(f * (v.length - 1)))];
      return [q(0.5), Math.max(q(0.75) - q(0.25), 1e-6)];
    };
    const [cosMed, cosIqr] = mi(cos);
    if (wantD && devs.length) {
      const Cm = this.peerNet ? C / 2 : C;
      const d = concatF32(devs);
      const dx = concatF32(steps);
      this.coMove = fitCoMoveModel(d, dx, Cm, this.params.coMove === 'spread');
      applyCoMove(this.coMove, d, dx);
      const r = rowRms(d, Cm);
      rec.length = 0;
      for (const v of r) rec.push(v);
    }
    const [recMed, recIqr] = mi(rec);
    const [memMed, memIqr] = mem.length ? mi(mem) : [0, 1];
    const [peerMed, peerIqr] = peer.length ? mi(peer) : [0, 1];
    const [peerSmMed, peerSmIqr] = peerSm.length ? mi(peerSm) : [0, 1];
    this.norm = { cosMed, cosIqr, recMed, recIqr, memMed, memIqr, peerMed, peerIqr, peerSmMed, peerSmIqr };
  }

  protected override getState(): DetectorState {
    const s = super.getState();
    s.json.norm = this.norm;
    if (this.alone) s.json.alone = true;
    if (this.skewNorm) s.json.skew = this.skewNorm;
    if (this.costNorm) s.json.cost = this.costNorm;
    if (this.coMove) {
      const { C, w, v, a } = this.coMove;
      s.arrays.coMoveW = { data: w, shape: [C, C + 1] };
      s.arrays.coMoveV = { data: v, shape: [C, C + 1] };
      s.arrays.coMoveA = { data: a, shape: [C] };
    }
    if (this.memory.length) s.arrays.memory = { data: this.memory, shape: [this.memory.length / this.params.d, this.params.d] };
    return s;
  }
  protected override setState(s: DetectorState): void {
    this.alone = s.json.alone === true; // before super builds the network
    super.setState(s);
    const saved = s.json.norm as Partial<typeof this.norm>;
    this.norm = { memMed: 0, memIqr: 1, peerMed: 0, peerIqr: 1, peerSmMed: 0, peerSmIqr: 1, ...saved } as typeof this.norm;
    this.smooth = saved.peerSmIqr === undefined ? 1 : this.params.peerSmooth;
    this.memory = (s.arrays.memory?.data as Float32Array | undefined) ?? new Float32Array(0);
    this.skewNorm = (s.json.skew as SkewNorm | undefined) ?? null;
    this.costNorm = (s.json.cost as CostNorm | undefined) ?? null;
    const [w, v, a] = [s.arrays.coMoveW, s.arrays.coMoveV, s.arrays.coMoveA];
    this.coMove = w && v && a ? { C: w.shape[0], w: w.data as Float32Array, v: v.data as Float32Array, a: a.data as Float32Array, spread: this.params.coMove === 'spread' } : null;
  }
}

/** The two halves of windows (B, L, 2·C0) along their channels: (B, L, C0) each, contiguous. */
function splitChannels(batch: Tensor, C0: number): [Tensor, Tensor] {
  const [B, L] = batch.shape;
  const v = batch.values();
  // from the arena's free lists inside one (a scoring batch, a training step: the next batch of the same shape reuses
  // them), fresh outside; every value is written below
  const a = alloc(B * L * C0, false);
  const b = alloc(B * L * C0, false);
  for (let r = 0; r < B * L; r++) {
    a.set(v.subarray(r * 2 * C0, r * 2 * C0 + C0), r * C0);
    b.set(v.subarray(r * 2 * C0 + C0, (r + 1) * 2 * C0), r * C0);
  }
  return [new Tensor(a, [B, L, C0]), new Tensor(b, [B, L, C0])];
}

/** peers 'both': the machine's own network and its peer-deviation network, one module (one set of weights). */
class PeerPair extends Module {
  constructor(readonly own: CCLNet, readonly peer: CCLNet) {
    super();
  }
}

/**
 * Copies batch (B, L, C) with one Flink-style anomaly injected per window, and a selection matrix (B, K, L) that
 * picks K injected timestamps per window (so negatives = select · l̃ is a plain matmul).
 */
export function injectNegatives(batch: Tensor, K: number, rng: Rng): { injected: Tensor; select: Tensor; spans: [number, number][] } {
  const [B, L, C] = batch.shape;
  const x = new Float32Array(batch.values());
  const sel = new Float32Array(B * K * L);
  const spans: [number, number][] = [];
  for (let b = 0; b < B; b++) {
    const inj = drawInjection(L, C, rng);
    applyInjection(x.subarray(b * L * C, (b + 1) * L * C), L, C, inj);
    spans.push([inj.start, inj.end]);
    for (let k = 0; k < K; k++) sel[b * K * L + k * L + inj.start + rng.int(inj.end - inj.start)] = 1;
  }
  return { injected: new Tensor(x, [B, L, C]), select: new Tensor(sel, [B, K, L]), spans };
}


registerDetector({ kind: 'ccl', ctor: CCLDetector, family: 'deep', summary: 'cross-contrastive attention detector (Noise Matters, VLDB 2025)' });

/** Rows of n values (R · n) → the causal mean over the last w of each row's last `keep` positions (R · keep); the first
 *  positions of a row average what the row has. */
export function causalMean(v: Float32Array, n: number, w: number, keep: number): Float32Array {
  const R = v.length / n;
  const out = new Float32Array(R * keep);
  for (let r = 0; r < R; r++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      sum += v[r * n + j];
      if (j >= w) sum -= v[r * n + j - w];
      if (j >= n - keep) out[r * keep + j - (n - keep)] = sum / Math.min(j + 1, w);
    }
  }
  return out;
}
