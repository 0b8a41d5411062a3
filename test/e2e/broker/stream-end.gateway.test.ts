/** Streams end with their grant through the kgate gateway (see stream-end.suite.ts). */
import { streamEndSuite } from './stream-end.suite.js';

streamEndSuite('gateway');
