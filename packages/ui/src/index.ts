export * from "./icons.tsx";
export * from "./answer-button.tsx";
export * from "./probability-bars.tsx";
export * from "./vote-fraction-table.tsx";
export * from "./card.tsx";
export * from "./data-table.tsx";
