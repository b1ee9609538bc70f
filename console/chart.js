import { h, svg } from './dom.js';

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };

/** Bucket width for a span: about 60 bars at most, in steps people read easily. */
export function bucketMs(spanMs) {
  const steps = [5e3, 1e4, 3e4, 6e4, 3e5, 6e5, 18e5, 36e5];
  return steps.find((step) => spanMs / step <= 60) ?? 36e5;
}

/** Counts of `times` (epoch ms) per bucket from `from` to `to`. */
export function bucketize(times, from, to) {
  const width = bucketMs(to - from);
  const start = Math.floor(from / width) * width;
  const counts = new Array(Math.max(1, Math.ceil((to - start) / width))).fill(0);
  for (const time of times) {
    const index = Math.floor((time - start) / width);
    if (index >= 0 && index < counts.length) counts[index] += 1;
  }
  return { start, width, counts };
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * A bar chart of bucketed counts, as SVG built element by element; its title and labels are text. The
 * caption defaults to the title and the bars' width.
 */
export function barChart({ start, width, counts }, title, caption = `${title} (bars of ${width / 1000} s)`) {
  const max = Math.max(1, ...counts);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = plotW / counts.length;
  const bars = counts.map((count, i) => {
    const barH = (count / max) * plotH;
    return svg(
      'rect',
      {
        class: 'bar',
        x: (PAD.left + i * barW + 1).toFixed(1),
        y: (PAD.top + plotH - barH).toFixed(1),
        width: Math.max(1, barW - 2).toFixed(1),
        height: barH.toFixed(1),
      },
      svg('title', {}, `${clock.format(new Date(start + i * width))}: ${count}`),
    );
  });
  // The last label ends at the plot's right edge: started at its bar, it would run out of the picture.
  const last = counts.length - 1;
  const axis = [0, Math.floor(counts.length / 2), last].map((i) =>
    svg(
      'text',
      {
        x: (PAD.left + (i === last && i > 0 ? counts.length : i) * barW).toFixed(1),
        y: HEIGHT - 6,
        class: 'axis',
        'text-anchor': i === last && i > 0 ? 'end' : undefined,
      },
      clock.format(new Date(start + i * width)),
    ),
  );
  return h(
    'figure',
    { class: 'chart' },
    svg(
      'svg',
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title },
      svg('text', { x: 4, y: PAD.top + 8, class: 'axis' }, String(max)),
      svg('text', { x: 4, y: PAD.top + plotH, class: 'axis' }, '0'),
      svg('line', {
        x1: PAD.left,
        x2: WIDTH - PAD.right,
        y1: PAD.top + plotH,
        y2: PAD.top + plotH,
        class: 'baseline',
      }),
      bars,
      axis,
    ),
    h('figcaption', {}, caption),
  );
}
