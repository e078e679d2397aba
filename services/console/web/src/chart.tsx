import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * A uPlot chart that follows its container's width. `data[0]` is x in seconds since the epoch; each series
 * after it is one line. Rebuilt when `opts` or `data` change (the views pass new objects only on new data).
 */
export function Chart({ opts, data }: { opts: Omit<uPlot.Options, 'width'>; data: uPlot.AlignedData }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = el.current!;
    // One sample (or all at one time) would make uPlot span years: an hour either side instead.
    const x = {
      time: true,
      range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax =>
        min === max ? [min - 3600, max + 3600] : [min, max],
    };
    const plot = new uPlot(
      { width: box.clientWidth || 600, ...opts, scales: { x, ...opts.scales } },
      data,
      box,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: box.clientWidth, height: opts.height }));
    ro.observe(box);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [opts, data]);
  return <div class="chart" ref={el} />;
}

export const seconds = (iso: string): number => Date.parse(iso) / 1000;
