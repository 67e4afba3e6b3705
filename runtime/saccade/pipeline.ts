// CornerNet-Saccade's test procedure (official core/test/cornernet_saccade.py,
// cornernet_saccade_inference): one pass over the whole image downsized to each init size gives
// detections and attention maps; the attended locations (and the confident detections, zoomed to a
// standard size) are suppressed against each other and become crops at their scales; each crop is
// detected on, its boxes mapped back, those touching the crop's border rejected; all boxes are
// merged by per-class Gaussian soft-NMS.
//
// image -> views (init sizes) -> [net] -> detections + attention -> locations -> crops -> [net]
//       -> detections in image pixels -> soft-NMS -> the best maxPerImage
import type { Detection } from '../decode/boxes.js';
import type { CornerNetHeads } from '../decode/cornernet.js';
import { cornerNetPostprocess } from '../decode/postprocess.js';
import type { ImageSource } from '../image/source.js';
import type { Normalisation } from '../image/warp.js';
import { CORNERNET_HEADS } from '../model/names.js';
import { attentionHeads } from '../model/parts/cornernet-saccade-head.js';
import type { Tensor } from '../ops/tensor.js';
import { attentionLevel, decodeAttention, type AttentionLevel, type ViewGeometry } from './attention.js';
import { drawCrop, placeCrop, type Location } from './crop.js';
import { decodeView, viewToImage, type ViewDecodeOptions } from './crop-decode.js';
import { referenceLocations, suppressLocations } from './locations.js';
import type { SaccadeSettings } from './settings.js';

/** The network as the procedure drives it: draw into input(), then run() gives the heads (NHWC). */
export interface SaccadeNetwork {
  inputWidth: number;
  inputHeight: number;
  input(): Float32Array;
  /** Head outputs by graph head name; read before the next run (buffers may be reused). */
  run(): Record<string, Tensor>;
}

export interface SaccadeOptions {
  normalisation: Normalisation;
  decode: ViewDecodeOptions;
  settings: SaccadeSettings;
}

interface ViewResult {
  dets: Detection[];
  levels: AttentionLevel[];
  geometry: ViewGeometry;
}

export function saccadeDetect(image: ImageSource, net: SaccadeNetwork, o: SaccadeOptions): Detection[] {
  const s = o.settings;
  if (s.cropSize > net.inputWidth || s.cropSize > net.inputHeight) {
    throw new Error(`CornerNet-Saccade: crop size ${s.cropSize} does not fit the ${net.inputWidth}x${net.inputHeight} network input`);
  }
  const { width, height } = image;
  const rounds = s.attThresholds.length;
  const locate = (views: ViewResult[], round: number, ignoreSame: boolean, refDets: Detection[]): Location[] => {
    const options = { imageWidth: width, imageHeight: height, threshold: s.attThresholds[round], attScales: s.attScales[round], ignoreSame, maxViewScale: s.maxViewScale, maxZoom: s.maxZoom };
    const found = views.flatMap((v) => decodeAttention(v.levels, v.geometry, options));
    return s.refDets ? suppressLocations([...found, ...referenceLocations(refDets, s.refScore)], s.locationNmsDistance) : found;
  };

  // First pass: the whole image, centred, its longer side downsized to each init size.
  const firstViews = s.initSizes.map((size) => look(image, net, { y: Math.floor(height / 2), x: Math.floor(width / 2), scale: Math.fround(size / Math.max(height, width)), score: 1 }, o));
  const firstDets = firstViews.flatMap((v) => v.dets).filter((d) => d.score > s.firstPassScore);
  const detections = [...firstDets];
  let locations = locate(firstViews, 0, false, firstDets);

  let crops = 0;
  for (let round = 1; round <= rounds && locations.length > 0; round++) {
    if (crops + locations.length > s.maxCrops) locations = locations.slice(0, s.maxCrops - crops);
    crops += locations.length;
    const views = locations.map((loc) => look(image, net, loc, o));
    const dets = views.flatMap((v) => v.dets);
    detections.push(...dets);
    if (crops === s.maxCrops || round === rounds) break;
    locations = locate(views, round, true, dets);
  }
  return cornerNetPostprocess(detections, { method: 'gaussian', sigma: s.nmsSigma, iouThreshold: s.nmsThreshold, maxResults: s.maxPerImage });
}

/** One view: the crop around `loc` drawn and run; its detections in image pixels and its attention. */
function look(image: ImageSource, net: SaccadeNetwork, loc: Location, o: SaccadeOptions): ViewResult {
  const p = placeCrop(image.width, image.height, loc, o.settings.cropSize);
  drawCrop(image, p, o.normalisation, net.input(), net.inputWidth, net.inputHeight);
  const out = net.run();
  const heads = cornerHeads(out);
  const geometry = { scale: loc.scale, offsetY: p.offsetY, offsetX: p.offsetX };
  const cellsPerPixel = heads.tlHeatmap.shape[2] / o.settings.cropSize;
  const dets = viewToImage(decodeView(heads, o.decode), cellsPerPixel, geometry);
  const names = attentionHeads(out);
  if (names.length !== o.settings.attScales[0].length) {
    throw new Error(`CornerNet-Saccade: the network has ${names.length} attention heads, the procedure expects ${o.settings.attScales[0].length}`);
  }
  const levels = names.map((name, l) => attentionLevel(out[name], o.settings.attNmsKernels[l] ?? 3, Math.round(net.inputWidth / out[name].shape[2])));
  return { dets, levels, geometry };
}

function cornerHeads(out: Record<string, Tensor>): CornerNetHeads {
  const H = CORNERNET_HEADS;
  return {
    tlHeatmap: out[H.tlHeatmap],
    brHeatmap: out[H.brHeatmap],
    tlEmbedding: out[H.tlEmbedding],
    brEmbedding: out[H.brEmbedding],
    tlOffset: out[H.tlOffset],
    brOffset: out[H.brOffset],
  };
}
