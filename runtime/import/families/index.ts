// The official checkpoint families the importer knows, one module each. A state dict must match
// exactly one (their `matches` signatures exclude each other); the order is the order of messages.

import type { OfficialFamily } from '../family.js';
import { centernetDla } from './centernet-dla.js';
import { centernetHg } from './centernet-hg.js';
import { centernetResdcn } from './centernet-resdcn.js';
import { cornernetLite } from './cornernet-lite.js';
import { cornernetSaccade } from './cornernet-saccade.js';
import { cornernetSqueeze } from './cornernet-squeeze.js';
import { cornernet } from './cornernet.js';

export const OFFICIAL_FAMILIES: readonly OfficialFamily[] = [centernetHg, centernetResdcn, centernetDla, cornernet, cornernetLite, cornernetSqueeze, cornernetSaccade];
