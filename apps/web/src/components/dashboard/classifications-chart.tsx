"use client";

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export function ClassificationsChart({ data }: { data: readonly { day: string; count: number }[] }) {
  return (
    <div className="h-56 w-full sm:h-64" data-testid="classifications-chart">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={[...data]} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <defs>
            <linearGradient id="line" x1="0" y1="0" x2="1" y2="0">
              <stop offset="0%" stopColor="#818cf8" />
              <stop offset="100%" stopColor="#67e8f9" />
            </linearGradient>
          </defs>
          <CartesianGrid stroke="rgb(255 255 255 / 0.06)" vertical={false} />
          <XAxis
            dataKey="day"
            tickFormatter={(d: string) => d.slice(5)}
            tick={{ fill: "#94a3b8", fontSize: 11 }}
            tickLine={false}
            axisLine={{ stroke: "rgb(255 255 255 / 0.1)" }}
            minTickGap={24}
          />
          <YAxis allowDecimals={false} tick={{ fill: "#94a3b8", fontSize: 11 }} tickLine={false} axisLine={false} />
          <Tooltip
            contentStyle={{ background: "#0b1024", border: "1px solid rgb(255 255 255 / 0.1)", borderRadius: 12 }}
            labelStyle={{ color: "#e2e8f0" }}
            itemStyle={{ color: "#a5b4fc" }}
          />
          <Line type="monotone" dataKey="count" name="Classifications" stroke="url(#line)" strokeWidth={2.5} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
