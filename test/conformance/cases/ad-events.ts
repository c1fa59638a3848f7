// Impressions and clicks of ads, one file per micro-batch, shared by the join and chained cases.
// An impression is clicked if a click on its ad comes within 15 minutes; a3's click comes too
// late, a9's click has no impression, a6's impression no click.
import type { StagedStream } from '../support/conformance-case.js';
import { at } from '../support/conformance-case.js';

export const impressions: StagedStream = {
  schema: 'adId STRING, impTime TIMESTAMP',
  batches: [
    [{ adId: 'a1', impTime: at('10:00') }, { adId: 'a2', impTime: at('10:01') }, { adId: 'a3', impTime: at('10:02') }],
    [{ adId: 'a4', impTime: at('10:20') }],
    [{ adId: 'a5', impTime: at('10:40') }],
    [{ adId: 'a6', impTime: at('11:30') }],
    [],
  ],
};

export const clicks: StagedStream = {
  schema: 'clickAdId STRING, clickTime TIMESTAMP',
  batches: [
    [{ clickAdId: 'a1', clickTime: at('10:05') }],
    [{ clickAdId: 'a2', clickTime: at('10:10') }, { clickAdId: 'a9', clickTime: at('10:12') }],
    [{ clickAdId: 'a4', clickTime: at('10:21') }, { clickAdId: 'a3', clickTime: at('10:30') }],
    [{ clickAdId: 'a5', clickTime: at('10:50') }],
    [{ clickAdId: 'zz', clickTime: at('12:00') }],
  ],
};

/** The join condition of every ad case. */
export const CLICKED = 'clickAdId = adId AND clickTime >= impTime AND clickTime <= impTime + interval 15 minutes';
