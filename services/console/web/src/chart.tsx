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
    const plot = new uPlot({ width: box.clientWidth || 600, ...opts }, data, box);
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
