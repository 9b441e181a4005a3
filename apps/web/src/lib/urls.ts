/**
 * A galaxy's image. The URL carries the SHA-256 of the image's bytes (Galaxy.imageHash), so it
 * names one image's content: the route lets browsers keep it for good only under that hash,
 * and a rebuilt database, whose ids name other galaxies, gives other URLs. The hash tells a
 * volunteer nothing the image itself does not.
 */
export const galaxyImageUrl = (g: { id: number; imageHash: string | null }) =>
  `/api/galaxies/${g.id}/image${g.imageHash === null ? "" : `?v=${g.imageHash}`}`;

/** The directory of a model version's files, served by /api/models/[version]/[...file]. */
export const modelBaseUrl = (version: string) => `/api/models/${encodeURIComponent(version)}/`;
